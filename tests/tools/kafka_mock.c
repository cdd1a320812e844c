/* kafka_mock.c: librdkafka's mock Kafka cluster as a process of its own,
 * for the tests (tests/lib/peers.sh starts and stops it).
 *
 *   kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...
 *              [--bootstrap-file FILE] [--control FIFO|-]
 *
 * The brokers listen on 127.0.0.1, each on a free port chosen by the
 * kernel, and speak the real Kafka protocol, so other processes (our
 * executables, kcat) produce and consume over TCP. Once every broker
 * listens and every --topic exists, the bootstrap list ("127.0.0.1:P1,...")
 * is written to FILE atomically (FILE.tmp, then rename), so a test polls
 * for FILE. Without --bootstrap-file it is printed on stdout.
 *
 * The control channel (a FIFO, created if missing, or "-" for stdin) takes
 * one command per line; each gets exactly one reply line on stdout, "ok
 * CMD" or "error CMD: why", written once the cluster has applied it:
 *
 *   create TOPIC N           a topic with N partitions
 *   down BROKER | up BROKER  close a broker's connections and refuse new
 *                            ones (same port kept) / accept again; -1 = all
 *   rtt BROKER MS            delay every response of a broker
 *   leader TOPIC PART BROKER move a partition's leader (-1: leaderless)
 *   errors APIKEY CODE...    the next requests of that API fail with these
 *                            error codes, in order (-195: disconnect)
 *   topic-error TOPIC CODE   Metadata answers this error for the topic
 *                            (3: unknown topic; 0 clears). The mock
 *                            creates unknown topics on first use, so this
 *                            is how a test gets a "missing" topic
 *   add-partitions TOPIC N   refused: librdkafka 2.0.2's mock cannot grow
 *                            a topic (see tests/lib/README.md)
 *   bootstrap                reply "ok bootstrap HOST:PORT,..."
 *   quit                     exit 0
 *
 * It exits 0 at once on SIGTERM, SIGINT or SIGHUP, and when its parent
 * dies (PR_SET_PDEATHSIG), so no peer outlives the test that started it;
 * `quit` and end of stdin (when that is the control channel) destroy the
 * cluster in order first (about 1 s).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TOPICS 64
#define MAX_ARGS 34

static rd_kafka_mock_cluster_t *mc;
static int brokers = 1;

static void die(const char *msg)
{
    fprintf(stderr, "kafka_mock: %s\n", msg);
    exit(2);
}

/* A decimal integer in [lo, hi], the whole word. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Called before every request to the mock's thread. librdkafka 2.0.2's
 * mock thread can lose the wake-up of a request that arrives while it is
 * still finishing the previous one (it serves its queue, then drains the
 * wake-up pipe); that request then waits for the thread's 1 s poll
 * timeout. Measured: about 1 request in 6 stalled 1 s when sent back to back,
 * none in 180 with this 2 ms pause. Not a synchronisation: a lost wake-up
 * only costs time, never a result. */
static void settle(void)
{
    usleep(2000);
}

static rd_kafka_resp_err_t create_topic(const char *name, int parts)
{
    settle();
    return rd_kafka_mock_topic_create(mc, name, parts, brokers < 3 ? brokers : 3);
}

/* NAME:PARTITIONS as given to --topic. */
static void topic_arg(const char *arg)
{
    const char *colon = strrchr(arg, ':');
    long n;
    if (!colon || colon == arg || parse_int(colon + 1, 1, 100000, &n))
        die("--topic wants NAME:PARTITIONS (PARTITIONS 1..100000)");
    char name[256];
    size_t len = (size_t)(colon - arg);
    if (len >= sizeof name)
        die("--topic: name too long");
    memcpy(name, arg, len);
    name[len] = 0;
    rd_kafka_resp_err_t e = create_topic(name, (int)n);
    if (e) {
        fprintf(stderr, "kafka_mock: topic %s: %s\n", name, rd_kafka_err2str(e));
        exit(2);
    }
}

static void write_bootstrap(const char *path, const char *bs)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        die("--bootstrap-file: path too long");
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", bs) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "kafka_mock: %s: %s\n", path, strerror(errno));
        exit(2);
    }
}

/* Runs one control command; returns 1 for quit. The reply line names the
 * command as it was given. */
static int command(char *line)
{
    char orig[4096];
    snprintf(orig, sizeof orig, "%s", line);
    char *av[MAX_ARGS];
    int ac = 0;
    for (char *t = strtok(line, " \t\r"); t && ac < MAX_ARGS; t = strtok(NULL, " \t\r"))
        av[ac++] = t;
    if (ac == 0)
        return 0;
    const char *why = NULL;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    long a = 0, b = 0, c = 0;
    int quit = 0;

    if (strcmp(av[0], "create"))
        settle();
    if (!strcmp(av[0], "quit") && ac == 1) {
        quit = 1;
    } else if (!strcmp(av[0], "create") && ac == 3) {
        if (parse_int(av[2], 1, 100000, &a))
            why = "partitions must be 1..100000";
        else
            e = create_topic(av[1], (int)a);
    } else if ((!strcmp(av[0], "down") || !strcmp(av[0], "up")) && ac == 2) {
        if (parse_int(av[1], -1, brokers, &a) || a == 0)
            why = "no such broker (1..N, or -1 for all)";
        else if (av[0][0] == 'd')
            e = rd_kafka_mock_broker_set_down(mc, (int32_t)a);
        else
            e = rd_kafka_mock_broker_set_up(mc, (int32_t)a);
    } else if (!strcmp(av[0], "rtt") && ac == 3) {
        if (parse_int(av[1], -1, brokers, &a) || a == 0 || parse_int(av[2], 0, 3600000, &b))
            why = "usage: rtt BROKER MS";
        else
            e = rd_kafka_mock_broker_set_rtt(mc, (int32_t)a, (int)b);
    } else if (!strcmp(av[0], "leader") && ac == 4) {
        if (parse_int(av[2], 0, 100000, &a) || parse_int(av[3], -1, brokers, &b) || b == 0)
            why = "usage: leader TOPIC PARTITION BROKER";
        else
            e = rd_kafka_mock_partition_set_leader(mc, av[1], (int32_t)a, (int32_t)b);
    } else if (!strcmp(av[0], "errors") && ac >= 3) {
        rd_kafka_resp_err_t codes[MAX_ARGS];
        if (parse_int(av[1], 0, 100, &a))
            why = "usage: errors APIKEY CODE...";
        for (int i = 2; i < ac && !why; i++) {
            if (parse_int(av[i], -200, 1000, &c))
                why = "error codes are integers (rdkafka.h)";
            codes[i - 2] = (rd_kafka_resp_err_t)c;
        }
        if (!why)
            rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)(ac - 2), codes);
    } else if (!strcmp(av[0], "topic-error") && ac == 3) {
        if (parse_int(av[2], -200, 1000, &a))
            why = "usage: topic-error TOPIC CODE";
        else
            rd_kafka_mock_topic_set_error(mc, av[1], (rd_kafka_resp_err_t)a);
    } else if (!strcmp(av[0], "add-partitions") && ac == 3) {
        why = "not supported by librdkafka 2.0.2's mock cluster (no CreatePartitions; "
              "create on an existing topic gives TOPIC_ALREADY_EXISTS)";
    } else if (!strcmp(av[0], "bootstrap") && ac == 1) {
        printf("ok bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);
        return 0;
    } else {
        why = "unknown command or wrong arguments";
    }
    if (!why && e)
        why = rd_kafka_err2str(e);
    if (why)
        printf("error %s: %s\n", orig, why);
    else
        printf("ok %s\n", orig);
    fflush(stdout);
    return quit;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"brokers", required_argument, 0, 'b'},
        {"topic", required_argument, 0, 't'},
        {"bootstrap-file", required_argument, 0, 'f'},
        {"control", required_argument, 0, 'c'},
        {0, 0, 0, 0},
    };
    const char *topics[MAX_TOPICS];
    int ntopics = 0;
    const char *bsfile = NULL, *control = NULL;
    long n;
    pid_t parent = getppid();

    /* Die with the parent; checked after arming, in case it already died. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
        die("prctl(PR_SET_PDEATHSIG) failed");
    if (getppid() != parent)
        return 0;

    for (int o; (o = getopt_long(argc, argv, "b:t:f:c:", opts, NULL)) != -1;) {
        switch (o) {
        case 'b':
            if (parse_int(optarg, 1, 32, &n))
                die("--brokers wants 1..32");
            brokers = (int)n;
            break;
        case 't':
            if (ntopics == MAX_TOPICS)
                die("too many --topic");
            topics[ntopics++] = optarg;
            break;
        case 'f': bsfile = optarg; break;
        case 'c': control = optarg; break;
        default:
            fprintf(stderr, "usage: kafka_mock [--brokers N] [--topic NAME:PARTITIONS]... "
                            "[--bootstrap-file FILE] [--control FIFO|-]\n");
            return 2;
        }
    }
    if (optind != argc)
        die("unexpected argument");

    /* Every thread librdkafka starts inherits this mask, so the signals
     * reach only the signalfd read below. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0)
        die("pthread_sigmask failed");
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (sfd < 0)
        die("signalfd failed");

    int cfd = -1;
    if (control && !strcmp(control, "-")) {
        cfd = 0;
    } else if (control) {
        if (mkfifo(control, 0600) != 0 && errno != EEXIST) {
            fprintf(stderr, "kafka_mock: %s: %s\n", control, strerror(errno));
            return 2;
        }
        /* read-write: the FIFO never reports end of file between writers */
        cfd = open(control, O_RDWR | O_CLOEXEC);
        if (cfd < 0) {
            fprintf(stderr, "kafka_mock: %s: %s\n", control, strerror(errno));
            return 2;
        }
    }

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* no notice that this handle has no bootstrap.servers of its own */
    if (rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        die(errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "kafka_mock: rd_kafka_new: %s\n", errstr);
        return 2;
    }
    mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc)
        die("rd_kafka_mock_cluster_new failed");
    for (int i = 0; i < ntopics; i++)
        topic_arg(topics[i]);
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    if (bsfile)
        write_bootstrap(bsfile, bs);
    else {
        printf("%s\n", bs);
        fflush(stdout);
    }

    char buf[4096];
    size_t have = 0;
    int quit = 0;
    while (!quit) {
        struct pollfd p[2] = {{sfd, POLLIN, 0}, {cfd, POLLIN, 0}};
        if (poll(p, cfd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll failed");
        }
        if (p[0].revents) {
            /* Nothing here is durable: exit at once and let the kernel
             * close the listeners (the orderly destroy below waits 1 s
             * for the mock's thread). */
            fflush(stdout);
            _exit(0);
        }
        if (cfd < 0 || !p[1].revents)
            continue;
        ssize_t r = read(cfd, buf + have, sizeof buf - 1 - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* end of stdin */
        have += (size_t)r;
        char *s = buf, *nl;
        while (!quit && (nl = memchr(s, '\n', have - (size_t)(s - buf)))) {
            *nl = 0;
            quit = command(s);
            s = nl + 1;
        }
        have -= (size_t)(s - buf);
        memmove(buf, s, have);
        if (have == sizeof buf - 1) {
            printf("error (line too long): ignored\n");
            fflush(stdout);
            have = 0;
        }
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
