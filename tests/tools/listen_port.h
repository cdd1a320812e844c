/* listen_port.h: the test servers' listening socket (lineserver.c,
 * floodserver.c): 127.0.0.1 on a free port, written to a file for the
 * test to read. */
#ifndef LISTEN_PORT_H
#define LISTEN_PORT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The listening socket, its port written to portfile; -1 (reported as
   who) when it cannot be made. */
static int listen_port(const char *portfile, const char *who)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 4) != 0) {
        perror(who);
        return -1;
    }
    socklen_t al = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &al);
    FILE *pf = fopen(portfile, "w");
    if (!pf) {
        perror(portfile);
        return -1;
    }
    fprintf(pf, "%d\n", ntohs(a.sin_port));
    fclose(pf);
    return ls;
}

#endif
