/* sema_hints.c: hints for the habits Scala, Spark and Python users bring,
 * in clang's manner: "did you mean" from the edit distance of a misspelled
 * name to the names that exist there, a fix-it line (what to write) under
 * the error, or a note saying what to write instead of a Spark or PySpark
 * operator that has no counterpart here.
 *
 * Edit distance: Damerau-Levenshtein (optimal string alignment: insert,
 * delete, substitute, swap two adjacent letters), where a letter that
 * differs only in case costs half an edit, so `reducebykey` finds
 * `reduceByKey` first. A candidate is suggested when its distance is at
 * most (length + 2) / 3, as clang's typo correction, and less than the
 * name's length (a one-letter name is no typo of another), and it is the
 * single closest one. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_ext.h"

#define MAXLEN 64

/* Twice the distance (case-only differences cost 1), or a value above
   2 * max when it is larger. */
static int distance2(const char *a, const char *b, int max)
{
    int n = (int)strlen(a), m = (int)strlen(b);
    if (n > MAXLEN || m > MAXLEN || abs(n - m) > max)
        return 2 * max + 1;
    int d[MAXLEN + 1][MAXLEN + 1];
    for (int i = 0; i <= n; i++)
        d[i][0] = 2 * i;
    for (int j = 0; j <= m; j++)
        d[0][j] = 2 * j;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= m; j++) {
            int sub = a[i - 1] == b[j - 1] ? 0
                      : tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 1 : 2;
            int v = d[i - 1][j - 1] + sub;
            if (d[i - 1][j] + 2 < v)
                v = d[i - 1][j] + 2;
            if (d[i][j - 1] + 2 < v)
                v = d[i][j - 1] + 2;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 2 < v)
                v = d[i - 2][j - 2] + 2;
            d[i][j] = v;
        }
    return d[n][m];
}

const char *hint_closest(const char *name, const char *const *cands, int n)
{
    if (!name || !*name)
        return NULL;
    int len = (int)strlen(name);
    int max = (len + 2) / 3;
    const char *best = NULL;
    int bestd = 2 * max + 1;
    bool tie = false;
    for (int i = 0; i < n; i++) {
        if (!cands[i] || strcmp(cands[i], name) == 0)
            continue;
        int dd = distance2(name, cands[i], max);
        if (dd >= 2 * len)
            continue; /* nothing in common: 'y' is no typo of 'x' */
        if (dd < bestd) {
            bestd = dd;
            best = cands[i];
            tie = false;
        } else if (dd == bestd && best && strcmp(best, cands[i]) != 0)
            tie = true;
    }
    return tie ? NULL : best;
}

const char *hint_dym(const char *best, char *buf, size_t n)
{
    if (best)
        snprintf(buf, n, "; did you mean '%s'?", best);
    else if (n)
        buf[0] = '\0';
    return buf;
}

/* ---- names of functions, types and storage levels ----------------------- */

/* Python's and Scala's names of the built-ins */
static const char *const fn_renames[][2] = { { "str", "toString" }, { "int", "toInt" }, { "float", "toFloat" },
                                             { "length", "len" }, { "size", "len" }, { "strip", "trim" },
                                             { "substring", "substr" } };
#define NFN ((int)(sizeof fn_renames / sizeof fn_renames[0]))

const char *hint_function(const char *name, const char *const *cands, int n)
{
    for (int i = 0; i < NFN; i++)
        if (strcmp(fn_renames[i][0], name) == 0)
            return fn_renames[i][1];
    /* the built-ins and their other names (lenght: length, so len) */
    const char *c[NFN + 64];
    int k = 0;
    for (int i = 0; i < n && k < 64; i++)
        c[k++] = cands[i];
    for (int i = 0; i < NFN; i++)
        c[k++] = fn_renames[i][0];
    const char *best = hint_closest(name, c, k);
    for (int i = 0; best && i < NFN; i++)
        if (best == fn_renames[i][0])
            return fn_renames[i][1];
    return best;
}

const char *hint_type(const char *name)
{
    static const char *const renames[][2] = { { "String", "string" }, { "Int", "int" }, { "Long", "int" },
                                              { "long", "int" }, { "Double", "float" }, { "double", "float" },
                                              { "Float", "float" }, { "Boolean", "bool" }, { "boolean", "bool" },
                                              { "Bool", "bool" }, { "str", "string" } };
    for (size_t i = 0; i < sizeof renames / sizeof renames[0]; i++)
        if (strcmp(renames[i][0], name) == 0)
            return renames[i][1];
    static const char *const names[] = { "string", "int", "float", "bool" };
    return hint_closest(name, names, 4);
}

const char *hint_storage(const char *name)
{
    static const char *const levels[] = { "MEMORY_ONLY", "MEMORY_ONLY_SER", "MEMORY_AND_DISK",
                                          "MEMORY_AND_DISK_SER", "DISK_ONLY", "MEMORY_ONLY_2", "MEMORY_ONLY_SER_2",
                                          "MEMORY_AND_DISK_2", "MEMORY_AND_DISK_SER_2", "DISK_ONLY_2" };
    return hint_closest(name, levels, 10);
}

/* ---- Spark and PySpark operators ------------------------------------------ */

typedef struct spark_hint {
    const char *name;
    const char *fixit;   /* a name to write instead, or NULL */
    const char *note;
} spark_hint;

static const spark_hint spark_ops[] = {
    { "pprint", "print", "PySpark's pprint() is print() here (print(n) for n elements)" },
    { "transform", NULL, "transform(rdd => ...) has no counterpart: apply the operators to the stream itself "
                         "(rdd.map(f) is stream.map(f); a join with static data is a join with another stream)" },
    { "transformWith", NULL, "transformWith has no counterpart: combine the streams with union or join" },
    { "saveAsHadoopFiles", "saveAsTextFiles", "write saveAsTextFiles(\"prefix\", \"suffix\"): text files are "
                                              "the one file output" },
    { "saveAsNewAPIHadoopFiles", "saveAsTextFiles", "write saveAsTextFiles(\"prefix\", \"suffix\"): text files "
                                                    "are the one file output" },
    { "saveAsObjectFiles", "saveAsTextFiles", "write saveAsTextFiles(\"prefix\", \"suffix\"): elements are "
                                              "saved as text, as they print" },
    { "saveAsTextFile", "saveAsTextFiles", "a stream writes one directory per batch: saveAsTextFiles(\"prefix\")" },
    { "foreach", "foreachRDD", "write foreachRDD(cfunction): a C function from a %{ %} block gets each batch" },
    { "foreachPartition", "foreachRDD", "write foreachRDD(cfunction): a C function from a %{ %} block gets "
                                        "each batch" },
    { "mapPartitions", "flatMap", "records are processed one at a time: write map(x => ...) or "
                                  "flatMap(x => ...)" },
    { "mapPartitionsWithIndex", "flatMap", "records are processed one at a time: write map(x => ...) or "
                                           "flatMap(x => ...)" },
    { "glom", NULL, "glom has no counterpart: records are processed one at a time" },
    { "persist", NULL, "not needed: received blocks are kept as the source's storage level says "
                       "(source s = ... storage MEMORY_ONLY;)" },
    { "cache", NULL, "not needed: received blocks are kept as the source's storage level says "
                     "(source s = ... storage MEMORY_ONLY;)" },
    { "checkpoint", NULL, "set the checkpoint directory in the context: checkpoint = \"DIR\";" },
    { "partitionBy", "repartition", "write repartition(n)" },
    { "collect", "print", "a stream has no collect(): print(n) shows elements, foreachRDD(cfunction) gets them" },
    { "first", "print", "a stream has no first(): print(1) shows the first element of every batch" },
    { "keys", NULL, "write map(p => p._1)" },
    { "values", NULL, "write map(p => p._2)" },
    { "countByKey", NULL, "write map(p => (p._1, 1)).reduceByKey((a, b) => a + b)" },
    { "slice", NULL, "slice has no counterpart: batches are only seen through operators and outputs" },
    { "context", NULL, "a stream's context is named in its source: source s = ... in CONTEXT;" },
};

const char *hint_spark_op(const char *name, const char **fixit)
{
    for (size_t i = 0; i < sizeof spark_ops / sizeof spark_ops[0]; i++)
        if (strcmp(spark_ops[i].name, name) == 0) {
            *fixit = spark_ops[i].fixit;
            return spark_ops[i].note;
        }
    *fixit = NULL;
    return NULL;
}

static const spark_hint spark_sources[] = {
    { "socketTextStream", "socket", "Spark's socketTextStream(host, port) is socket(\"host\", port)" },
    { "rawSocketStream", "socket", "records are lines of text: socket(\"host\", port)" },
    { "fileStream", "textFileStream", "new files of a directory: textFileStream(\"dir\")" },
    { "textFile", "file", "the lines of one file: file(\"path\")" },
    { "queueStream", "file", "a replayable input is file(\"path\") or --replay NAME=FILE" },
};

const char *hint_spark_source(const char *name, const char **fixit)
{
    for (size_t i = 0; i < sizeof spark_sources / sizeof spark_sources[0]; i++)
        if (strcmp(spark_sources[i].name, name) == 0) {
            *fixit = spark_sources[i].fixit;
            return spark_sources[i].note;
        }
    *fixit = NULL;
    return NULL;
}

/* ---- Scala, Java and Python methods on values --------------------------- */

typedef struct habit {
    const char *name;     /* as a method or field: x.length, x.toUpperCase() */
    const char *builtin;  /* what to call: len(x) */
    const char *note;     /* a difference to know, or NULL */
} habit;

static const habit habits[] = {
    { "length", "len", NULL },
    { "size", "len", NULL },
    { "toUpperCase", "upper", NULL },
    { "toLowerCase", "lower", NULL },
    { "upper", "upper", NULL },
    { "lower", "lower", NULL },
    { "strip", "trim", NULL },
    { "trim", "trim", NULL },
    { "toInt", "toInt", NULL },
    { "toLong", "toInt", NULL },
    { "toDouble", "toFloat", NULL },
    { "toFloat", "toFloat", NULL },
    { "toString", "toString", NULL },
    { "split", "split", "split(s, sep) takes a literal separator; regexSplit(s, re) a regex" },
    { "contains", "contains", NULL },
    { "startsWith", "startsWith", NULL },
    { "startswith", "startsWith", NULL },
    { "endsWith", "endsWith", NULL },
    { "endswith", "endsWith", NULL },
    { "matches", "matches", NULL },
    { "replaceAll", "replaceAll", NULL },
    { "substring", "substr", "substr(s, from, n) takes a length n, not an end index" },
    { "isDefined", "isDefined", NULL },
    { "getOrElse", "getOrElse", NULL },
    { "isEmpty", "len", "a string or a list is empty when len(x) == 0" },
    { "sum", "sum", NULL },
    { "min", "min", NULL },
    { "max", "max", NULL },
    { "sorted", "sorted", NULL },
    { "toList", "toList", NULL },
    { "toSeq", "toList", NULL },
    { "mkString", "mkString", NULL },
};

/* Source text of loc when it lies on one line; false otherwise. */
static bool loc_text(st_diag *d, st_loc loc, char *buf, size_t n)
{
    size_t len;
    const char *line = d->src ? source_line(d->src, loc.first_line, &len) : NULL;
    if (!line || loc.last_line != loc.first_line || loc.first_column < 1 || (size_t)loc.last_column > len ||
        loc.last_column < loc.first_column)
        return false;
    size_t k = (size_t)(loc.last_column - loc.first_column + 1);
    if (k + 1 > n)
        return false;
    memcpy(buf, line + loc.first_column - 1, k);
    buf[k] = '\0';
    return true;
}

bool hint_method_habit(st_diag *d, const st_expr *e)
{
    const habit *h = NULL;
    for (size_t i = 0; i < sizeof habits / sizeof habits[0]; i++)
        if (strcmp(habits[i].name, e->name) == 0)
            h = &habits[i];
    if (!h || !e->a)
        return false;
    bool call = e->kind == EX_METHOD;
    char recv[256], fix[600];
    bool have = loc_text(d, e->a->loc, recv, sizeof recv);
    /* the arguments as written: from the first to the last */
    char args[300] = "";
    if (call && e->nargs > 0) {
        st_loc al = e->args[0]->loc;
        al.last_line = e->args[e->nargs - 1]->loc.last_line;
        al.last_column = e->args[e->nargs - 1]->loc.last_column;
        have = have && loc_text(d, al, args, sizeof args);
    }
    if (!have)
        snprintf(recv, sizeof recv, "x");
    snprintf(fix, sizeof fix, "%s(%s%s%s)%s", h->builtin, recv, *args ? ", " : "", args,
             strcmp(h->name, "isEmpty") == 0 ? " == 0" : "");
    if (call)
        diag_error(d, e->loc, "values have no methods: write %s", fix);
    else
        diag_error(d, e->loc, "'%s' is not a field: write %s", e->name, fix);
    if (have)
        diag_fixit(d, e->loc, fix);
    if (h->note)
        diag_note(d, e->loc, "%s", h->note);
    return true;
}

bool hint_collection_call(st_diag *d, const st_expr *e)
{
    static const char *const names[] = { "Seq", "List", "Array", "Vector", "Set", "ListBuffer" };
    bool found = false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        found = found || strcmp(names[i], e->name) == 0;
    if (!found)
        return false;
    char args[300] = "", fix[310];
    bool have = e->nargs == 0;
    if (e->nargs > 0) {
        st_loc al = e->args[0]->loc;
        al.last_line = e->args[e->nargs - 1]->loc.last_line;
        al.last_column = e->args[e->nargs - 1]->loc.last_column;
        have = loc_text(d, al, args, sizeof args);
    }
    snprintf(fix, sizeof fix, "[%s]", have ? args : "...");
    diag_error(d, e->loc, "%s(...) does not exist: a list is written %s", e->name, fix);
    if (have)
        diag_fixit(d, e->loc, fix);
    return true;
}

bool hint_op_without_parens(st_diag *d, const st_expr *e)
{
    char recv[256], fix[400];
    if (!loc_text(d, e->a->loc, recv, sizeof recv))
        snprintf(recv, sizeof recv, "s");
    snprintf(fix, sizeof fix, "%s.%s()", recv, e->name);
    diag_error(d, e->loc, "'%s' needs parentheses, even without arguments: %s", e->name, fix);
    diag_fixit(d, e->loc, fix);
    return true;
}

/* Scala's placeholder syntax (_ + _, _.length): an expression mentioning
   the name `_` where a function is expected. */
static bool has_placeholder(const st_expr *e, int depth)
{
    if (!e || depth > 50)
        return false;
    if (e->kind == EX_NAME && strcmp(e->name, "_") == 0)
        return true;
    if (has_placeholder(e->a, depth + 1) || has_placeholder(e->b, depth + 1) || has_placeholder(e->c, depth + 1))
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (has_placeholder(e->args[i], depth + 1))
            return true;
    return false;
}

void hint_placeholder(st_diag *d, const st_expr *f, int nparams)
{
    if (!has_placeholder(f, 0))
        return;
    diag_note(d, f->loc, "Scala's placeholders are written with named parameters here: %s",
              nparams == 2 ? "_ + _ is (a, b) => a + b" : "_.length is x => len(x)");
}
