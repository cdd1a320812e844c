/* floodserver.c: a TCP producer far faster than a pipeline, for the
 * overload test.
 *
 *   floodserver PORTFILE LINES WIDTH
 *
 * Listens on 127.0.0.1 on a free port, writes the port to PORTFILE,
 * accepts one connection and writes LINES lines "N xxx...x" (N from 1,
 * each line WIDTH bytes with its newline) as fast as the connection takes
 * them, in 64 KiB writes. It then prints "sent LINES lines, BYTES bytes,
 * blocked MS ms" (MS: the time its writes waited for the reader, the TCP
 * window being full) and keeps the connection open until the reader
 * closes it. Exits after 60 s without progress (a test must never hang).
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "listen_port.h"

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: floodserver PORTFILE LINES WIDTH\n");
        return 2;
    }
    long long lines = atoll(argv[2]);
    int width = atoi(argv[3]);
    if (lines < 1 || width < 16 || width > 4096) {
        fprintf(stderr, "floodserver: bad LINES or WIDTH\n");
        return 2;
    }
    int ls = listen_port(argv[1], "floodserver");
    if (ls < 0)
        return 1;
    struct pollfd p = { ls, POLLIN, 0 };
    if (poll(&p, 1, 60000) != 1) {
        fprintf(stderr, "floodserver: nobody connected\n");
        return 1;
    }
    int c = accept(ls, NULL, NULL);
    if (c < 0)
        return 1;
    fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
    size_t cap = 1 << 16;
    char *buf = malloc(cap + 4096);
    long long next = 1, bytes = 0, blocked = 0;
    size_t n = 0, off = 0;
    while (next <= lines || off < n) {
        if (off == n) {
            n = off = 0;
            while (next <= lines && n + (size_t)width <= cap) {
                int k = snprintf(buf + n, 32, "%lld ", next++);
                memset(buf + n + k, 'x', (size_t)(width - k - 1));
                buf[n + (size_t)width - 1] = '\n';
                n += (size_t)width;
            }
        }
        ssize_t w = write(c, buf + off, n - off);
        if (w > 0) {
            off += (size_t)w;
            bytes += w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            perror("floodserver: write");
            return 1;
        }
        long long t0 = now_ms();
        struct pollfd q = { c, POLLOUT, 0 };
        if (poll(&q, 1, 60000) != 1) {
            fprintf(stderr, "floodserver: the reader stopped reading for 60 s\n");
            return 1;
        }
        blocked += now_ms() - t0;
    }
    printf("sent %lld lines, %lld bytes, blocked %lld ms\n", lines, bytes, blocked);
    fflush(stdout);
    /* until the reader closes */
    for (;;) {
        struct pollfd q = { c, POLLIN, 0 };
        if (poll(&q, 1, 60000) != 1)
            break;
        char tmp[256];
        if (read(c, tmp, sizeof tmp) <= 0)
            break;
    }
    close(c);
    close(ls);
    free(buf);
    return 0;
}
