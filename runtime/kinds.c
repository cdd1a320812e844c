/* kinds.c: the runtime's side of the table of source kinds
 * (st_kinds.def): each kind's name, element type, replayability and
 * receiver (runtime/sources/RECEIVER.c). */
#include "engine.h"

#define ST_SOURCE(ID, NAME, ELEM, REPLAY, LISTED, RECEIVER) extern const st_receiver st_recv_##RECEIVER;
#include "st_kinds.def"

typedef struct rt_kind {
    const char *name;
    bool ints, replays;
    const st_receiver *recv;
} rt_kind;

#define ELEM_INT true
#define ELEM_STR false
static const rt_kind kinds[] = {
#define ST_SOURCE(ID, NAME, ELEM, REPLAY, LISTED, RECEIVER) { NAME, ELEM_##ELEM, REPLAY, &st_recv_##RECEIVER },
#include "st_kinds.def"
};

static const rt_kind *kind(st_src_kind k)
{
    static const rt_kind none = { "?", false, false, NULL };
    return (unsigned)k < ST_SRC_COUNT_ ? &kinds[k] : &none;
}

const st_receiver *rt_kind_receiver(st_src_kind k) { return kind(k)->recv; }
bool rt_kind_ints(st_src_kind k) { return kind(k)->ints; }
bool rt_kind_replays(st_src_kind k) { return kind(k)->replays; }
const char *rt_kind_name(st_src_kind k) { return kind(k)->name; }
