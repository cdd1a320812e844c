/* sources/user.c: receiver(fn [, "arg"]): the user's own receiver. Its
 * callbacks are filled at start by fn (st_source_desc.receiver), written
 * against st_receiver.h; this empty one is what it starts from. */
#include "../engine.h"

const st_receiver st_recv_user = { 0 };
