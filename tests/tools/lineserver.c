/* lineserver.c: a TCP test server for the socket source's tests.
 *
 *   lineserver PORTFILE ROUNDS LINES_PER_ROUND
 *
 * Listens on 127.0.0.1 on a free port, writes the port to PORTFILE, then
 * for each round accepts one connection, sends LINES_PER_ROUND lines
 * "rR-N" (R the round, N the line) and closes it, as a server that goes
 * away and comes back would. Exits after the last round, or after 30 s
 * with nothing to accept (a test must never hang).
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen_port.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: lineserver PORTFILE ROUNDS LINES\n");
        return 2;
    }
    int rounds = atoi(argv[2]), lines = atoi(argv[3]);
    int ls = listen_port(argv[1], "lineserver");
    if (ls < 0)
        return 1;
    for (int r = 1; r <= rounds; r++) {
        struct pollfd p = { ls, POLLIN, 0 };
        if (poll(&p, 1, 30000) != 1) {
            fprintf(stderr, "lineserver: nobody connected\n");
            return 1;
        }
        int c = accept(ls, NULL, NULL);
        if (c < 0)
            return 1;
        char buf[64];
        for (int i = 1; i <= lines; i++) {
            int n = snprintf(buf, sizeof buf, "r%d-%d\n", r, i);
            if (write(c, buf, (size_t)n) != n)
                break;
        }
        usleep(200000);
        close(c);
        usleep(300000);
    }
    close(ls);
    return 0;
}
