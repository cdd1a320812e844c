/* cli.h: what the streamc command checks and cleans up around the C
 * compiler (main.c):
 *
 *   output_path_check()  -o OUT (what: "the executable"), --emit-c OUT
 *                        ("the generated C") or --emit-dot OUT ("the DAG")
 *                        can be written: not a
 *                        directory, its directory exists and is writable,
 *                        not the input file; prints "streamc: error: ..."
 *                        and returns -1 if not;
 *   tmp_c_create()       the temporary C file, in $TMPDIR (default /tmp);
 *                        until tmp_c_remove() a SIGINT, SIGTERM or SIGHUP
 *                        removes it, passes the signal to the C compiler
 *                        (tmp_c_child) and then ends streamc by it.
 */
#ifndef STREAMC_CLI_H
#define STREAMC_CLI_H

#include <stddef.h>
#include <sys/types.h>

int output_path_check(const char *out, const char *input, const char *what);

/* fd of the new file, its name in path; -1 with a message printed */
int tmp_c_create(char *path, size_t size);
void tmp_c_child(pid_t pid);
void tmp_c_remove(void);

#endif
