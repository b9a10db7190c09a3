/* The matcher's inner loops in C: bot.ranking.Ranker falls back to numpy when this module
 * was not compiled, and the tests check that both give the same ranking.
 *
 * For each question of a batch, rank() builds the query vector, takes its dot product with
 * every row of the sparse index, combines each topic's best example with its centroid, picks
 * the leading topics and each leader's closest examples, and re-ranks the leaders with a
 * token-set ratio that gives the same scores as rapidfuzz.fuzz.token_set_ratio, but on
 * examples tokenised once, at index time, instead of at every comparison.
 *
 * numpy's cost is per call; here the cost is per posting, which is what the work is.
 *
 * The rest serves the words of a question: collect() and word_features() (bot.features),
 * odds() (bot.language), both looking names up in name_table()s, nearest() (typo correction,
 * as rapidfuzz's extractOne) and fold() (the end of bot.text.fold). Each has a Python twin
 * that is the fallback and the reference the tests compare with.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Scratch arrays, zero between calls: the GIL is held throughout, so one set serves every
 * index. Only the cells a question touched are reset, so a question costs what it touches,
 * not the size of the index. */
typedef struct {
    void *data;
    size_t cap;
} Scratch;

static Scratch s_acc, s_row, s_best, s_cent, s_seen;

static void *grow(Scratch *s, size_t n, size_t item)
{
    if (n > s->cap) {
        void *p = realloc(s->data, n * item);
        if (p == NULL) return PyErr_NoMemory();
        memset((char *)p + s->cap * item, 0, (n - s->cap) * item);
        s->data = p;
        s->cap = n;
    }
    return s->data;
}

/* A buffer of the expected item type ('q' int64, 'i' int32, 'f' float32, 'd' float64,
 * 'I' uint32), C-contiguous and one-dimensional. */
static int view(PyObject *obj, Py_buffer *b, char type, Py_ssize_t item)
{
    if (PyObject_GetBuffer(obj, b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    const char *f = b->format ? b->format : "B";
    if (*f == '<' || *f == '=' || *f == '@') f++;
    char got = *f == 'l' && b->itemsize == 8 ? 'q' : *f;
    if (got == 'L' && b->itemsize == 4) got = 'I';
    if (got != type || b->itemsize != item || b->ndim > 1) {
        PyErr_Format(PyExc_TypeError, "expected a flat array of '%c', got '%s'", type, b->format);
        PyBuffer_Release(b);
        return -1;
    }
    return 0;
}

/* ---- token-set ratio --------------------------------------------------------------- */

typedef struct {
    const Py_UCS4 *chars;
    Py_ssize_t len;
    int64_t id; /* the token's vocabulary id, -1 when no example has it */
} Token;

/* Longest common subsequence: bit-parallel (Hyyrö) when the shorter string fits in a word
 * and is Latin-1, which folded text nearly always is; plain dynamic programming otherwise. */
static Py_ssize_t lcs(const Py_UCS4 *a, Py_ssize_t m, const Py_UCS4 *b, Py_ssize_t n)
{
    if (m > n) {
        const Py_UCS4 *t = a; a = b; b = t;
        Py_ssize_t k = m; m = n; n = k;
    }
    if (m == 0) return 0;
    int narrow = m <= 64;
    for (Py_ssize_t i = 0; narrow && i < m; i++) narrow = a[i] < 256;
    if (narrow) {
        static uint64_t match[256]; /* zero between calls */
        for (Py_ssize_t i = 0; i < m; i++) match[a[i]] |= (uint64_t)1 << i;
        uint64_t s = ~(uint64_t)0;
        for (Py_ssize_t j = 0; j < n; j++) {
            uint64_t u = s & (b[j] < 256 ? match[b[j]] : 0);
            s = (s + u) | (s - u);
        }
        for (Py_ssize_t i = 0; i < m; i++) match[a[i]] = 0;
        uint64_t mask = m == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m) - 1);
        return (Py_ssize_t)__builtin_popcountll(~s & mask);
    }
    Py_ssize_t *row = calloc((size_t)m + 1, sizeof(Py_ssize_t));
    if (row == NULL) return -1;
    for (Py_ssize_t j = 0; j < n; j++) {
        Py_ssize_t diag = 0;
        for (Py_ssize_t i = 1; i <= m; i++) {
            Py_ssize_t up = row[i];
            row[i] = a[i - 1] == b[j] ? diag + 1 : (up > row[i - 1] ? up : row[i - 1]);
            diag = up;
        }
    }
    Py_ssize_t best = row[m];
    free(row);
    return best;
}

static double norm_distance(Py_ssize_t dist, Py_ssize_t lensum)
{
    /* rapidfuzz's formula, operation for operation, so the scores are bit for bit equal */
    return lensum > 0 ? 100.0 - (double)(100 * dist) / (double)lensum : 100.0;
}

/* Append tokens joined by spaces to out; return the new length. */
static Py_ssize_t join(Py_UCS4 *out, Py_ssize_t len, const Py_UCS4 *chars, Py_ssize_t n)
{
    if (len > 0) out[len++] = ' ';
    memcpy(out + len, chars, (size_t)n * sizeof(Py_UCS4));
    return len + n;
}

typedef struct {
    const int32_t *tok_ptr; /* entry e's tokens are tok_ids[tok_ptr[e]:tok_ptr[e + 1]] */
    const int32_t *tok_ids; /* vocabulary ids, ascending (the vocabulary is sorted) */
    const int64_t *voc_ptr; /* vocabulary word v is voc_chars[voc_ptr[v]:voc_ptr[v + 1]] */
    const Py_UCS4 *voc_chars;
} Examples;

/* rapidfuzz.fuzz.token_set_ratio of a question's tokens (unique, sorted) and an example's.
 * ab and ba must hold the characters of the question and of the example. -1 on no memory.
 * When the ratio cannot exceed `floor`, some value no higher is returned (the caller wants
 * the best of several): the longest common subsequence is then not computed. */
static double token_set_ratio(const Token *q, Py_ssize_t nq, const Examples *ex, int64_t e,
                              Py_UCS4 *ab, Py_UCS4 *ba, double floor)
{
    const int32_t *t = ex->tok_ids + ex->tok_ptr[e], *end = ex->tok_ids + ex->tok_ptr[e + 1];
    if (nq == 0 || t == end) return 0.0;
    Py_ssize_t ab_len = 0, ba_len = 0, sect_len = 0, n_sect = 0, n_ab = 0, n_ba = 0;
    for (Py_ssize_t i = 0; i < nq; i++) {
        /* Both lists are in string order, which is id order for vocabulary words. */
        while (q[i].id >= 0 && t < end && *t < q[i].id) {
            const int64_t lo = ex->voc_ptr[*t], hi = ex->voc_ptr[*t + 1];
            ba_len = join(ba, ba_len, ex->voc_chars + lo, hi - lo);
            n_ba++, t++;
        }
        if (q[i].id >= 0 && t < end && *t == q[i].id) {
            sect_len += q[i].len + (n_sect > 0);
            n_sect++, t++;
        } else {
            ab_len = join(ab, ab_len, q[i].chars, q[i].len);
            n_ab++;
        }
    }
    for (; t < end; t++, n_ba++) {
        const int64_t lo = ex->voc_ptr[*t], hi = ex->voc_ptr[*t + 1];
        ba_len = join(ba, ba_len, ex->voc_chars + lo, hi - lo);
    }
    if (n_sect > 0 && (n_ab == 0 || n_ba == 0)) return 100.0;
    Py_ssize_t sect_ab_len = sect_len + (sect_len != 0) + ab_len;
    Py_ssize_t sect_ba_len = sect_len + (sect_len != 0) + ba_len;
    double sect = 0.0;
    if (sect_len != 0) {
        double sect_ab = norm_distance(1 + ab_len, sect_len + sect_ab_len);
        double sect_ba = norm_distance(1 + ba_len, sect_len + sect_ba_len);
        sect = sect_ab > sect_ba ? sect_ab : sect_ba;
    }
    /* The subsequence is at most the shorter string: at least the difference is edited. */
    Py_ssize_t least = ab_len > ba_len ? ab_len - ba_len : ba_len - ab_len;
    if (norm_distance(least, sect_ab_len + sect_ba_len) <= floor) return sect;
    Py_ssize_t common = lcs(ab, ab_len, ba, ba_len);
    if (common < 0) return -1.0;
    double result = norm_distance(ab_len + ba_len - 2 * common, sect_ab_len + sect_ba_len);
    return sect > result ? sect : result;
}

/* ---- ranking ----------------------------------------------------------------------- */

typedef struct {
    int64_t topic;
    double score;
} Scored;

/* Is a ranked before b: the higher score, then the lower index (deterministic ties). */
static int before(double sa, int64_t a, double sb, int64_t b)
{
    return sa > sb || (sa == sb && a < b);
}

/* Insert (score, index) into the best-first list top[0:*n] of at most cap items. */
static void keep_best(Scored *top, Py_ssize_t *n, Py_ssize_t cap, int64_t index, double score)
{
    Py_ssize_t i = *n < cap ? (*n)++ : cap;
    if (i == cap && !before(score, index, top[cap - 1].score, top[cap - 1].topic)) return;
    if (i == cap) i = cap - 1;
    while (i > 0 && before(score, index, top[i - 1].score, top[i - 1].topic)) {
        top[i] = top[i - 1];
        i--;
    }
    top[i].topic = index;
    top[i].score = score;
}

/* The characters a list of tokens takes with a separator after each (non-str items: none). */
static Py_ssize_t chars_needed(PyObject *list)
{
    Py_ssize_t len = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        PyObject *word = PyList_GET_ITEM(list, i);
        len += PyUnicode_Check(word) ? PyUnicode_GET_LENGTH(word) + 1 : 0;
    }
    return len;
}

/* The tokens of one question as Token structs; their characters go to chars. */
static Py_ssize_t read_tokens(PyObject *list, PyObject *vocab, Token *out, Py_UCS4 *chars)
{
    Py_ssize_t n = PyList_GET_SIZE(list), used = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *word = PyList_GET_ITEM(list, i);
        if (!PyUnicode_Check(word)) {
            PyErr_SetString(PyExc_TypeError, "tokens must be str");
            return -1;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(word);
        if (PyUnicode_AsUCS4(word, chars + used, len, 0) == NULL) return -1;
        PyObject *id = PyDict_GetItemWithError(vocab, word);
        if (id == NULL && PyErr_Occurred()) return -1;
        out[i].id = id == NULL ? -1 : PyLong_AsLongLong(id);
        if (out[i].id == -1 && PyErr_Occurred()) return -1;
        out[i].chars = chars + used;
        out[i].len = len;
        used += len;
    }
    return n;
}

typedef struct {
    Py_buffer indptr, rows, values, idf, entry_topic, starts, tok_ptr, tok_ids, voc_ptr, voc;
} Index;

static void release(Index *x)
{
    Py_buffer *all[] = {&x->indptr, &x->rows, &x->values, &x->idf, &x->entry_topic,
                        &x->starts, &x->tok_ptr, &x->tok_ids, &x->voc_ptr, &x->voc};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i]->obj != NULL) PyBuffer_Release(all[i]);
}

/* ---- query features --------------------------------------------------------------- */

typedef struct {
    int64_t *ids;
    double *weights;
    Py_ssize_t n, cap;
} Features;

/* A query word, from the cache or from word() (which fills the cache). New reference. */
static PyObject *lookup(PyObject *token, PyObject *word, PyObject *cache)
{
    PyObject *found = PyDict_GetItemWithError(cache, token);
    if (found != NULL) return Py_NewRef(found);
    if (PyErr_Occurred()) return NULL;
    found = PyObject_CallOneArg(word, token);
    if (found != NULL && (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) < 5)) {
        PyErr_SetString(PyExc_TypeError, "word() must return a Word");
        Py_CLEAR(found);
    }
    return found;
}

/* Append a Word's feature ids and weights (its first two fields: int64 and float64 bytes). */
static int append(Features *f, PyObject *found)
{
    PyObject *ids = PyTuple_GET_ITEM(found, 0), *weights = PyTuple_GET_ITEM(found, 1);
    if (!PyBytes_Check(ids) || !PyBytes_Check(weights)) {
        PyErr_SetString(PyExc_TypeError, "a Word's ids and weights must be bytes");
        return -1;
    }
    Py_ssize_t n = PyBytes_GET_SIZE(ids) / 8, ok = PyBytes_GET_SIZE(ids) == n * 8 &&
                                                   PyBytes_GET_SIZE(weights) == n * 8;
    if (ok && f->n + n > f->cap) {
        Py_ssize_t cap = 2 * (f->n + n) + 64;
        int64_t *i = realloc(f->ids, sizeof(int64_t) * (size_t)cap);
        if (i != NULL) f->ids = i;
        double *w = realloc(f->weights, sizeof(double) * (size_t)cap);
        if (w != NULL) f->weights = w;
        if (i == NULL || w == NULL) ok = 0, PyErr_NoMemory();
        else f->cap = cap;
    } else if (!ok) {
        PyErr_SetString(PyExc_ValueError, "a word's ids and weights differ in length");
    }
    if (ok) {
        memcpy(f->ids + f->n, PyBytes_AS_STRING(ids), (size_t)n * sizeof(int64_t));
        memcpy(f->weights + f->n, PyBytes_AS_STRING(weights), (size_t)n * sizeof(double));
        f->n += n;
    }
    return ok ? 0 : -1;
}

/* The unique tokens of a question in string order (a new list), as token_set_ratio wants. */
static PyObject *unique_sorted(PyObject *tokens)
{
    PyObject *sorted = PyList_GetSlice(tokens, 0, PyList_GET_SIZE(tokens));
    if (sorted == NULL || PyList_Sort(sorted) < 0) {
        Py_XDECREF(sorted);
        return NULL;
    }
    Py_ssize_t kept = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(sorted); i++) {
        PyObject *t = PyList_GET_ITEM(sorted, i);
        if (kept > 0 && PyUnicode_Compare(PyList_GET_ITEM(sorted, kept - 1), t) == 0) continue;
        Py_INCREF(t);
        PyList_SetItem(sorted, kept++, t);  /* steals t, drops what was there */
    }
    if (PyList_SetSlice(sorted, kept, PyList_GET_SIZE(sorted), NULL) < 0) Py_CLEAR(sorted);
    return sorted;
}

PyDoc_STRVAR(collect_doc,
"collect(folded, word, cache) -> (sizes, ids, weights, unseen, tokens)\n\n"
"FeatureSpace.features for the kernel: each question's words looked up in `cache`, or with\n"
"word() when not there. Returns the number of features of each question, their ids and\n"
"weights laid end to end, each question's unexplained squared weight (as int64 and float64\n"
"bytes), and each question's unique tokens in string order.");

static PyObject *collect(PyObject *self, PyObject *args)
{
    PyObject *folded, *word, *cache;
    if (!PyArg_ParseTuple(args, "O!OO!", &PyList_Type, &folded, &word, &PyDict_Type, &cache))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(folded);
    Features f = {0};
    int64_t *sizes = calloc((size_t)n + 1, sizeof(int64_t));
    double *unseen = calloc((size_t)n + 1, sizeof(double));
    PyObject *tokens = PyList_New(n), *result = NULL;
    if (!sizes || !unseen || !tokens) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t q = 0; q < n; q++) {
        PyObject *split = PyUnicode_Split(PyList_GET_ITEM(folded, q), NULL, -1);
        if (split == NULL) goto done;
        Py_ssize_t before = f.n;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(split); i++) {
            /* Word fields: ids, weights, unseen, known, correction (bot.features.Word). */
            PyObject *found = lookup(PyList_GET_ITEM(split, i), word, cache), *fixed = NULL;
            int failed = found == NULL || append(&f, found);
            PyObject *correction = failed ? NULL : PyTuple_GET_ITEM(found, 4);
            if (!failed && correction != Py_None) {
                fixed = lookup(correction, word, cache);
                failed = fixed == NULL || append(&f, fixed);
            } else if (!failed) {
                int known = PyObject_IsTrue(PyTuple_GET_ITEM(found, 3));
                double add = known ? 0.0 : PyFloat_AsDouble(PyTuple_GET_ITEM(found, 2));
                failed = known < 0 || (add == -1.0 && PyErr_Occurred());
                unseen[q] += add;
            }
            Py_XDECREF(found);
            Py_XDECREF(fixed);
            if (failed) {
                Py_DECREF(split);
                goto done;
            }
        }
        sizes[q] = f.n - before;
        PyObject *unique = unique_sorted(split);
        Py_DECREF(split);
        if (unique == NULL) goto done;
        PyList_SET_ITEM(tokens, q, unique);
    }
    result = Py_BuildValue(
        "(y#y#y#y#O)", (const char *)sizes, n * (Py_ssize_t)sizeof(int64_t),
        f.ids ? (const char *)f.ids : "", f.n * (Py_ssize_t)sizeof(int64_t),
        f.weights ? (const char *)f.weights : "", f.n * (Py_ssize_t)sizeof(double), (const char *)unseen, n * (Py_ssize_t)sizeof(double),
        tokens);
done:
    free(f.ids), free(f.weights), free(sizes), free(unseen);
    Py_XDECREF(tokens);
    return result;
}

/* Round each leader's score as Python's round(score, 4) does, then order them best first;
 * equal rounded scores keep the leaders' order (a stable sort, as sorted() in the fallback). */
static int order(Scored *leaders, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        /* What float.__round__ does: correctly rounded decimal digits, read back. */
        char *digits = PyOS_double_to_string(leaders[i].score, 'f', 4, 0, NULL);
        if (digits == NULL) return -1;
        leaders[i].score = PyOS_string_to_double(digits, NULL, NULL);
        PyMem_Free(digits);
        if (leaders[i].score == -1.0 && PyErr_Occurred()) return -1;
    }
    for (Py_ssize_t i = 1; i < n; i++) {
        Scored item = leaders[i];
        Py_ssize_t j = i;
        for (; j > 0 && leaders[j - 1].score < item.score; j--) leaders[j] = leaders[j - 1];
        leaders[j] = item;
    }
    return 0;
}

PyDoc_STRVAR(rank_doc,
"rank(index, sizes, ids, weights, unseen, tokens, count, k, weight, limit) -> list\n\n"
"For each question, the best `limit` of the `count` leading topics as (topic, score)\n"
"pairs, scores rounded to 4 places, best first; [] when the question has no feature the\n"
"index knows. See bot.ranking.Ranker.");

static PyObject *rank(PyObject *self, PyObject *args)
{
    PyObject *index, *sizes_o, *ids_o, *weights_o, *unseen_o, *tokens;
    Py_ssize_t count, k, limit;
    double weight;
    if (!PyArg_ParseTuple(args, "O!OOOOO!nndn", &PyTuple_Type, &index, &sizes_o, &ids_o,
                          &weights_o, &unseen_o, &PyList_Type, &tokens, &count, &k, &weight,
                          &limit))
        return NULL;
    PyObject *arrays[10], *vocab;
    Py_ssize_t n_entries, n_topics, longest;
    double idf_unseen;
    if (!PyArg_ParseTuple(index, "OOOOOOOOOOO!nnnd", &arrays[0], &arrays[1], &arrays[2],
                          &arrays[3], &arrays[4], &arrays[5], &arrays[6], &arrays[7],
                          &arrays[8], &arrays[9], &PyDict_Type, &vocab, &n_entries, &n_topics,
                          &longest, &idf_unseen))
        return NULL;
    Index x = {0};
    Py_buffer sizes = {0}, ids = {0}, weights = {0}, unseen = {0};
    PyObject *result = NULL;
    Token *qtok = NULL;
    Py_UCS4 *qchars = NULL, *ab = NULL, *ba = NULL;
    int64_t *flist = NULL, *rlist = NULL, *tlist = NULL;
    Scored *leaders = NULL, *close = NULL;
    if (view(arrays[0], &x.indptr, 'q', 8) || view(arrays[1], &x.rows, 'i', 4) ||
        view(arrays[2], &x.values, 'f', 4) || view(arrays[3], &x.idf, 'd', 8) ||
        view(arrays[4], &x.entry_topic, 'q', 8) || view(arrays[5], &x.starts, 'q', 8) ||
        view(arrays[6], &x.tok_ptr, 'i', 4) || view(arrays[7], &x.tok_ids, 'i', 4) ||
        view(arrays[8], &x.voc_ptr, 'q', 8) || view(arrays[9], &x.voc, 'I', 4) ||
        view(sizes_o, &sizes, 'q', 8) || view(ids_o, &ids, 'q', 8) ||
        view(weights_o, &weights, 'd', 8) || view(unseen_o, &unseen, 'd', 8))
        goto done;
    const Py_ssize_t n = sizes.len / 8, n_feat = x.idf.len / 8, n_rows = n_entries + n_topics;
    const int64_t *indptr = x.indptr.buf, *entry_topic = x.entry_topic.buf;
    const int64_t *starts = x.starts.buf, *size = sizes.buf, *id = ids.buf;
    const int32_t *rows = x.rows.buf;
    const float *values = x.values.buf;
    const double *idf = x.idf.buf, *w = weights.buf, *unseen_sq = unseen.buf;
    const Examples ex = {x.tok_ptr.buf, x.tok_ids.buf, x.voc_ptr.buf, x.voc.buf};
    if (PyList_GET_SIZE(tokens) != n || unseen.len / 8 != n || ids.len / 8 != weights.len / 8 ||
        x.starts.len / 8 != n_topics + 1 || count < 1 || count > n_topics || k < 1 ||
        limit < 0 ||
        x.indptr.len / 8 != n_feat + 1 || x.rows.len / 4 != x.values.len / 4 ||
        x.indptr.len < 8 || ((const int64_t *)x.indptr.buf)[n_feat] != x.rows.len / 4 ||
        x.entry_topic.len / 8 != n_entries || x.tok_ptr.len / 4 != n_entries + 1) {
        PyErr_SetString(PyExc_ValueError, "inconsistent arguments");
        goto done;
    }
    Py_ssize_t total = 0;
    for (Py_ssize_t q = 0; q < n; q++) {
        if (size[q] < 0 || (total += size[q]) > ids.len / 8) {
            PyErr_SetString(PyExc_ValueError, "sizes exceed the features");
            goto done;
        }
    }
    for (Py_ssize_t f = 0; f < total; f++) {
        if (id[f] < 0 || id[f] >= n_feat) {
            PyErr_SetString(PyExc_ValueError, "feature id out of range");
            goto done;
        }
    }
    double *acc = grow(&s_acc, (size_t)n_feat, sizeof(double));
    double *row = grow(&s_row, (size_t)n_rows, sizeof(double));
    double *best = grow(&s_best, (size_t)n_topics, sizeof(double));
    double *cent = grow(&s_cent, (size_t)n_topics, sizeof(double));
    char *seen = grow(&s_seen, (size_t)n_topics, 1);
    flist = malloc(sizeof(int64_t) * (size_t)(total + 1));
    rlist = malloc(sizeof(int64_t) * (size_t)(n_rows + 1));
    tlist = malloc(sizeof(int64_t) * (size_t)(n_topics + 1));
    leaders = malloc(sizeof(Scored) * (size_t)count);
    close = malloc(sizeof(Scored) * (size_t)k);
    if (!acc || !row || !best || !cent || !seen || !flist || !rlist || !tlist || !leaders ||
        !close) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t most_tokens = 0, most_chars = 0;
    for (Py_ssize_t q = 0; q < n; q++) {
        PyObject *qtokens = PyList_GET_ITEM(tokens, q);
        if (!PyList_Check(qtokens)) {
            PyErr_SetString(PyExc_TypeError, "tokens must be lists of str");
            goto done;
        }
        Py_ssize_t nq = PyList_GET_SIZE(qtokens), qlen = chars_needed(qtokens);
        if (nq > most_tokens) most_tokens = nq;
        if (qlen > most_chars) most_chars = qlen;
    }
    qtok = malloc(sizeof(Token) * (size_t)(most_tokens + 1));
    qchars = malloc(sizeof(Py_UCS4) * (size_t)(most_chars + 1));
    ab = malloc(sizeof(Py_UCS4) * (size_t)(most_chars + 1));
    ba = malloc(sizeof(Py_UCS4) * (size_t)(longest + 1));
    if (!qtok || !qchars || !ab || !ba) {
        PyErr_NoMemory();
        goto done;
    }
    if ((result = PyList_New(n)) == NULL) goto done;
    const int64_t *feature = id;
    const double *fweight = w;
    for (Py_ssize_t q = 0; q < n; q++) {
        PyObject *qtokens = PyList_GET_ITEM(tokens, q);
        Py_ssize_t nq = PyList_GET_SIZE(qtokens);
        if (read_tokens(qtokens, vocab, qtok, qchars) < 0) goto fail;

        /* From here to the reset below nothing can fail: the scratch stays zero. */
        const int64_t *qf = feature;
        const double *qw = fweight;
        feature += size[q], fweight += size[q];
        Py_ssize_t nf = 0, nr = 0, nt = 0;
        /* A repeated feature's weights add up; features stay in order of first occurrence,
         * the order of additions of the numpy fallback (FeatureSpace.queries). */
        for (int64_t i = 0; i < size[q]; i++) {
            if (acc[qf[i]] == 0.0) flist[nf++] = qf[i];
            acc[qf[i]] += qw[i];
        }
        double squares = 0.0;
        for (Py_ssize_t i = 0; i < nf; i++) {
            double c = acc[flist[i]];
            double v = (c >= 1.0 ? 1.0 + log(c) : c) * idf[flist[i]];
            acc[flist[i]] = v;
            squares += v * v;
        }
        double norm = sqrt(squares + unseen_sq[q] * (idf_unseen * idf_unseen));
        if (norm == 0.0) norm = 1.0;
        /* Most posting lists are a few postings long, somewhere in a large index: ask for
         * the start of every one first, so that the cache misses overlap instead of coming
         * one after another in the loop below. */
        for (Py_ssize_t i = 0; i < nf; i++) {
            __builtin_prefetch(rows + indptr[flist[i]]);
            __builtin_prefetch(values + indptr[flist[i]]);
        }
        for (Py_ssize_t i = 0; i < nf; i++) {
            double v = acc[flist[i]] / norm;
            for (int64_t p = indptr[flist[i]]; p < indptr[flist[i] + 1]; p++) {
                /* No branch on first touch: it is as likely as not, so it mispredicts. */
                const int32_t r = rows[p];
                rlist[nr] = r;
                nr += row[r] == 0.0;
                row[r] += (double)values[p] * v;
            }
        }
        for (Py_ssize_t i = 0; i < nr; i++) {
            int64_t r = rlist[i], t = r < n_entries ? entry_topic[r] : r - n_entries;
            if (!seen[t]) seen[t] = 1, tlist[nt++] = t;
            if (r >= n_entries) cent[t] = row[r];
            else if (row[r] > best[t]) best[t] = row[r];
        }
        Py_ssize_t nl = 0;
        for (Py_ssize_t i = 0; i < nt; i++) {
            int64_t t = tlist[i];
            keep_best(leaders, &nl, count, t, 0.6 * best[t] + 0.4 * cent[t]);
        }
        /* Fewer topics touched than leaders: the untouched ones score 0, lowest index first. */
        for (int64_t t = 0; nl < count && t < n_topics; t++)
            if (!seen[t]) leaders[nl].topic = t, leaders[nl++].score = 0.0;
        int oom = 0;
        for (Py_ssize_t l = 0; nf > 0 && l < nl; l++) {
            Py_ssize_t nc = 0;
            for (int64_t e = starts[leaders[l].topic]; e < starts[leaders[l].topic + 1]; e++)
                keep_best(close, &nc, k, e, row[e]);
            double ratio = 0.0;
            for (Py_ssize_t c = 0; c < nc && ratio < 100.0; c++) {
                double r = token_set_ratio(qtok, nq, &ex, close[c].topic, ab, ba, ratio);
                if (r < 0) oom = 1;
                if (r > ratio) ratio = r;
            }
            ratio /= 100.0;
            leaders[l].score = (1.0 - weight) * leaders[l].score + weight * (ratio * ratio);
        }
        for (Py_ssize_t i = 0; i < nf; i++) acc[flist[i]] = 0.0;
        for (Py_ssize_t i = 0; i < nr; i++) row[rlist[i]] = 0.0;
        for (Py_ssize_t i = 0; i < nt; i++) best[tlist[i]] = cent[tlist[i]] = 0.0, seen[tlist[i]] = 0;
        if (oom) {
            PyErr_NoMemory();
            goto fail;
        }

        Py_ssize_t shown = nf > 0 ? (limit < nl ? limit : nl) : 0;
        if (shown > 0 && order(leaders, nl) < 0) goto fail;
        PyObject *pairs = PyList_New(shown);
        if (pairs == NULL) goto fail;
        PyList_SET_ITEM(result, q, pairs);
        for (Py_ssize_t l = 0; l < shown; l++) {
            PyObject *pair = Py_BuildValue("(Ld)", (long long)leaders[l].topic, leaders[l].score);
            if (pair == NULL) goto fail;
            PyList_SET_ITEM(pairs, l, pair);
        }
    }
    goto done;
fail:
    Py_CLEAR(result);
done:
    free(qtok), free(qchars), free(ab), free(ba);
    free(flist), free(rlist), free(tlist), free(leaders), free(close);
    release(&x);
    Py_buffer *mine[] = {&sizes, &ids, &weights, &unseen};
    for (size_t i = 0; i < 4; i++)
        if (mine[i]->obj != NULL) PyBuffer_Release(mine[i]);
    return result;
}

PyDoc_STRVAR(ratio_doc,
"token_set_ratio(question_tokens, example_tokens) -> float\n\n"
"rapidfuzz.fuzz.token_set_ratio of two token lists, each unique and sorted: for tests.");

static PyObject *ratio(PyObject *self, PyObject *args)
{
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &a, &PyList_Type, &b)) return NULL;
    /* The example's tokens become a one-entry vocabulary, ids in string order. */
    Py_ssize_t nb = PyList_GET_SIZE(b), la = chars_needed(a), lb = chars_needed(b);
    PyObject *vocab = PyDict_New(), *out = NULL;
    Token *ta = malloc(sizeof(Token) * (size_t)(PyList_GET_SIZE(a) + 1));
    Token *tb = malloc(sizeof(Token) * (size_t)(nb + 1));
    Py_UCS4 *ca = malloc(sizeof(Py_UCS4) * (size_t)(la + 1)), *cb = malloc(sizeof(Py_UCS4) * (size_t)(lb + 1));
    Py_UCS4 *ab = malloc(sizeof(Py_UCS4) * (size_t)(la + 1)), *ba = malloc(sizeof(Py_UCS4) * (size_t)(lb + 1));
    int32_t *tok_ids = malloc(sizeof(int32_t) * (size_t)(nb + 1));
    int64_t *voc_ptr = malloc(sizeof(int64_t) * (size_t)(nb + 1));
    if (!vocab || !ta || !tb || !ca || !cb || !ab || !ba || !tok_ids || !voc_ptr) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < nb; i++) {
        PyObject *v = PyLong_FromSsize_t(i);
        if (v == NULL || PyDict_SetItem(vocab, PyList_GET_ITEM(b, i), v) < 0) {
            Py_XDECREF(v);
            goto done;
        }
        Py_DECREF(v);
    }
    if (read_tokens(a, vocab, ta, ca) < 0 || read_tokens(b, vocab, tb, cb) < 0) goto done;
    voc_ptr[0] = 0;
    for (Py_ssize_t i = 0; i < nb; i++) tok_ids[i] = (int32_t)i, voc_ptr[i + 1] = voc_ptr[i] + tb[i].len;
    int32_t tok_ptr[2] = {0, (int32_t)nb};
    const Examples ex = {tok_ptr, tok_ids, voc_ptr, cb};
    double r = token_set_ratio(ta, PyList_GET_SIZE(a), &ex, 0, ab, ba, -1.0);
    out = r < 0 ? PyErr_NoMemory() : PyFloat_FromDouble(r);
done:
    Py_XDECREF(vocab);
    free(ta), free(tb), free(ca), free(cb), free(ab), free(ba), free(tok_ids), free(voc_ptr);
    return out;
}

/* ---- name tables -------------------------------------------------------------------- */

/* A name of at most 7 one-byte characters (an n-gram, a prefix, a short word: nearly every
 * feature name) packed into 64 bits: its length in the top byte, its characters below, so
 * distinct names have distinct keys and no key is 0, which marks an empty slot. Looking such
 * a name up in a table of keys costs one cache line, where a dict of str costs a new string
 * and about three (its slot, its entry, the key's characters): an unseen word has some
 * thirty names to look up (benchmarks/pipeline_bench.py). */
#define PACKED_MAX 7

static int pack(const char *tag, Py_ssize_t ntag, const Py_UCS1 *s, Py_ssize_t n, uint64_t *key)
{
    if (ntag + n < 1 || ntag + n > PACKED_MAX) return 0;
    uint64_t k = (uint64_t)(ntag + n) << 56;
    for (Py_ssize_t i = 0; i < ntag; i++) k |= (uint64_t)(unsigned char)tag[i] << (8 * i);
    for (Py_ssize_t i = 0; i < n; i++) k |= (uint64_t)s[i] << (8 * (ntag + i));
    *key = k;
    return 1;
}

/* A table is the bytes of uint64 words: log2 of its slot count, the values per slot, then
 * the slots, each a key and its values (int64 or float64 bits). Open addressing, linear
 * probing, at most half full. */
typedef struct {
    const uint64_t *slots;
    uint64_t mask, stride;
    unsigned shift;
} Table;

static int table_view(PyObject *bytes, uint64_t width, Table *t)
{
    const Py_ssize_t size = PyBytes_GET_SIZE(bytes);
    const uint64_t *words = (const uint64_t *)PyBytes_AS_STRING(bytes);
    if (size < 16 || words[0] < 1 || words[0] > 40 || words[1] != width ||
        (uint64_t)size != 8 * (2 + ((uint64_t)1 << words[0]) * (1 + width))) {
        PyErr_SetString(PyExc_ValueError, "not a name table of that width");
        return -1;
    }
    t->slots = words + 2, t->mask = ((uint64_t)1 << words[0]) - 1, t->stride = 1 + width;
    t->shift = 64 - (unsigned)words[0];
    return 0;
}

/* The values of a key, or NULL when the table does not have it. */
static const uint64_t *probe(const Table *t, uint64_t key)
{
    for (uint64_t h = (key * 0x9E3779B97F4A7C15ULL) >> t->shift;; h = (h + 1) & t->mask) {
        const uint64_t *slot = t->slots + h * t->stride;
        if (slot[0] == key) return slot + 1;
        if (slot[0] == 0) return NULL;
    }
}

PyDoc_STRVAR(name_table_doc,
"name_table(names, values, width) -> bytes\n\n"
"A table of the names that pack (at most 7 one-byte characters), each with its `width`\n"
"values: names[i]'s are values[i * width:(i + 1) * width], 8 bytes each (int64 or float64).\n"
"Names that do not pack are left out: look them up where they came from.");

static PyObject *name_table(PyObject *self, PyObject *args)
{
    PyObject *names;
    Py_buffer values;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "O!y*n", &PyList_Type, &names, &values, &width)) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t n = PyList_GET_SIZE(names);
    if (width < 1 || values.len != n * width * 8) {
        PyErr_SetString(PyExc_ValueError, "values must be width 8-byte items per name");
        goto done;
    }
    Py_ssize_t packed = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name = PyList_GET_ITEM(names, i);
        if (!PyUnicode_Check(name)) {
            PyErr_SetString(PyExc_TypeError, "names must be str");
            goto done;
        }
        packed += PyUnicode_KIND(name) == PyUnicode_1BYTE_KIND &&
                  PyUnicode_GET_LENGTH(name) >= 1 && PyUnicode_GET_LENGTH(name) <= PACKED_MAX;
    }
    unsigned bits = 1;
    while (((Py_ssize_t)1 << bits) < 2 * packed + 1) bits++;
    const Py_ssize_t stride = 1 + width, slots = (Py_ssize_t)1 << bits;
    result = PyBytes_FromStringAndSize(NULL, 8 * (2 + slots * stride));
    if (result == NULL) goto done;
    uint64_t *words = (uint64_t *)PyBytes_AS_STRING(result);
    memset(words, 0, (size_t)(8 * (2 + slots * stride)));
    words[0] = bits, words[1] = (uint64_t)width;
    Table t;
    if (table_view(result, (uint64_t)width, &t) < 0) {
        Py_CLEAR(result);
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name = PyList_GET_ITEM(names, i);
        uint64_t key;
        if (PyUnicode_KIND(name) != PyUnicode_1BYTE_KIND ||
            !pack("", 0, PyUnicode_1BYTE_DATA(name), PyUnicode_GET_LENGTH(name), &key))
            continue;
        uint64_t h = (key * 0x9E3779B97F4A7C15ULL) >> t.shift;
        while (words[2 + h * stride] != 0 && words[2 + h * stride] != key) h = (h + 1) & t.mask;
        words[2 + h * stride] = key;
        memcpy(words + 2 + h * stride + 1, (const char *)values.buf + i * width * 8,
               (size_t)width * 8);
    }
done:
    PyBuffer_Release(&values);
    return result;
}

/* Look the name tag + padded[from:from + n] up, where padded is a word with a space at each
 * end: in the table when the name packs, else in `dict` (through a new str). The values are
 * copied to out (width of them); returns 1 if found, 0 if not, -1 on error. */
static int find_name(const Table *t, PyObject *dict, const char *tag, PyObject *padded,
                     Py_ssize_t from, Py_ssize_t n, uint64_t *out)
{
    uint64_t key;
    if (PyUnicode_KIND(padded) == PyUnicode_1BYTE_KIND &&
        pack(tag, (Py_ssize_t)strlen(tag), PyUnicode_1BYTE_DATA(padded) + from, n, &key)) {
        const uint64_t *found = probe(t, key);
        if (found != NULL) memcpy(out, found, (size_t)(t->stride - 1) * 8);
        return found != NULL;
    }
    PyObject *part = PyUnicode_Substring(padded, from, from + n);
    PyObject *name = part == NULL ? NULL : PyUnicode_FromFormat("%s%U", tag, part);
    Py_XDECREF(part);
    if (name == NULL) return -1;
    PyObject *value = PyDict_GetItemWithError(dict, name);
    Py_DECREF(name);
    if (value == NULL) return PyErr_Occurred() ? -1 : 0;
    if (t->stride == 2 && PyLong_Check(value)) {
        int64_t v = PyLong_AsLongLong(value);
        if (v == -1 && PyErr_Occurred()) return -1;
        memcpy(out, &v, 8);
        return 1;
    }
    if (PyTuple_Check(value) && PyTuple_GET_SIZE(value) == (Py_ssize_t)t->stride - 1) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(value); i++) {
            double v = PyFloat_AsDouble(PyTuple_GET_ITEM(value, i));
            if (v == -1.0 && PyErr_Occurred()) return -1;
            memcpy(out + i, &v, 8);
        }
        return 1;
    }
    PyErr_SetString(PyExc_TypeError, "a name's value must be an int or a tuple of floats");
    return -1;
}

PyDoc_STRVAR(word_features_doc,
"word_features(word, ids, table, prefix, sizes, weights) -> (ids, weights, unseen)\n\n"
"The features of a word the index does not have, as bot.features.named_features names them:\n"
"the word, its prefix, its character n-grams padded with a space at each end. Returns the\n"
"ids (int64 bytes) and weights (float64 bytes) of those in `ids`, and the sum of the others'\n"
"squared sublinear weights. `weights` are the word's, the prefix's and an n-gram's. `table`\n"
"is name_table() of `ids` (width 1): names that pack are looked up there.");

static double sublinear(double w) { return w >= 1.0 ? 1.0 + log(w) : w; }

/* Look one feature's name up (see find_name): append its id and weight, or add its squared
 * sublinear weight to the unseen sum. */
static int feature(const Table *t, PyObject *ids, const char *tag, PyObject *padded,
                   Py_ssize_t from, Py_ssize_t n, double weight, int64_t *out_ids,
                   double *out_w, Py_ssize_t *count, double *unseen)
{
    uint64_t id;
    int found = find_name(t, ids, tag, padded, from, n, &id);
    if (found > 0) {
        out_ids[*count] = (int64_t)id, out_w[(*count)++] = weight;
    } else if (found == 0) {
        double s = sublinear(weight);
        *unseen += s * s;
    }
    return found < 0 ? -1 : 0;
}

static PyObject *word_features(PyObject *self, PyObject *args)
{
    PyObject *word, *ids, *table, *sizes;
    Py_ssize_t prefix;
    double w[3];
    if (!PyArg_ParseTuple(args, "UO!O!nO!(ddd)", &word, &PyDict_Type, &ids, &PyBytes_Type,
                          &table, &prefix, &PyTuple_Type, &sizes, &w[0], &w[1], &w[2]))
        return NULL;
    Table t;
    if (table_view(table, 1, &t) < 0) return NULL;
    if (prefix < 0) {
        PyErr_SetString(PyExc_ValueError, "prefix must not be negative");
        return NULL;
    }
    const Py_ssize_t len = PyUnicode_GET_LENGTH(word);
    /* A size that is not an int fails below, in PyLong_AsSsize_t. */
    const Py_ssize_t most = 2 + PyTuple_GET_SIZE(sizes) * (len + 2);
    int64_t *out_ids = malloc(sizeof(int64_t) * (size_t)most);
    double *out_w = malloc(sizeof(double) * (size_t)most);
    PyObject *padded = PyUnicode_FromFormat(" %U ", word), *result = NULL;
    Py_ssize_t n = 0;
    double unseen = 0.0;
    if (!out_ids || !out_w || !padded) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    /* Same names in the same order as named_features, so the unseen sum adds up alike. */
    int failed = feature(&t, ids, "w:", padded, 1, len, w[0], out_ids, out_w, &n, &unseen);
    if (!failed && len > prefix)
        failed = feature(&t, ids, "p:", padded, 1, prefix, w[1], out_ids, out_w, &n, &unseen);
    for (Py_ssize_t s = 0; !failed && s < PyTuple_GET_SIZE(sizes); s++) {
        Py_ssize_t size = PyLong_AsSsize_t(PyTuple_GET_ITEM(sizes, s));
        failed = size == -1 && PyErr_Occurred();
        for (Py_ssize_t i = 0; !failed && size >= 1 && i + size <= len + 2; i++)
            failed = feature(&t, ids, "", padded, i, size, w[2], out_ids, out_w, &n, &unseen);
    }
    if (!failed)
        result = Py_BuildValue("(y#y#d)", (const char *)out_ids,
                               n * (Py_ssize_t)sizeof(int64_t), (const char *)out_w,
                               n * (Py_ssize_t)sizeof(double), unseen);
done:
    Py_XDECREF(padded);
    free(out_ids), free(out_w);
    return result;
}

PyDoc_STRVAR(odds_doc,
"odds(word, table, pairs) -> float\n\n"
"bot.language.LanguageDetector._odds: the sum of kk's log-likelihoods of the word's features\n"
"('w:' + word, then its padded 3-grams) minus the sum of ru's, over the features `pairs`\n"
"has. pairs: feature → (kk, ru); table: name_table() of it (width 2).");

static PyObject *odds(PyObject *self, PyObject *args)
{
    PyObject *word, *table, *pairs;
    if (!PyArg_ParseTuple(args, "UO!O!", &word, &PyBytes_Type, &table, &PyDict_Type, &pairs))
        return NULL;
    Table t;
    if (table_view(table, 2, &t) < 0) return NULL;
    const Py_ssize_t len = PyUnicode_GET_LENGTH(word);
    PyObject *padded = PyUnicode_FromFormat(" %U ", word);
    if (padded == NULL) return NULL;
    double kk = 0.0, ru = 0.0, pair[2];
    int found = find_name(&t, pairs, "w:", padded, 1, len, (uint64_t *)pair);
    if (found > 0) kk += pair[0], ru += pair[1];
    for (Py_ssize_t i = 0; found >= 0 && i + 3 <= len + 2; i++) {
        found = find_name(&t, pairs, "", padded, i, 3, (uint64_t *)pair);
        if (found > 0) kk += pair[0], ru += pair[1];
    }
    Py_DECREF(padded);
    return found < 0 ? NULL : PyFloat_FromDouble(kk - ru);
}

PyDoc_STRVAR(nearest_doc,
"nearest(word, choices, cutoff, packed=None) -> str | None\n\n"
"The choice most similar to `word`, as rapidfuzz.process.extractOne(word, choices,\n"
"scorer=fuzz.ratio, score_cutoff=cutoff) finds it: the first of the best, if at least cutoff.\n"
"`packed` is None, or the choices laid end to end, each a byte of its length and then its\n"
"characters (one byte each): then they are read from there, in order.");

/* The index of the choice nearest to a word of one-byte characters, or -1, as nearest()
 * finds it; the choices are laid end to end in `packed`, each after a byte of its length. */
static Py_ssize_t nearest_packed(PyObject *word, const Py_UCS1 *packed, Py_ssize_t size,
                                 Py_ssize_t count, double cutoff)
{
    const Py_ssize_t m = PyUnicode_GET_LENGTH(word);
    const Py_UCS1 *a = PyUnicode_1BYTE_DATA(word);
    static uint64_t match[256]; /* zero between calls: only the word's letters are reset */
    for (Py_ssize_t i = 0; i < m; i++) match[a[i]] |= (uint64_t)1 << i;
    const uint64_t mask = m == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m) - 1);
    Py_ssize_t best = -1, i = 0, at = 0;
    double best_score = -1.0;
    for (; at < size && i < count; i++) {
        const Py_ssize_t n = packed[at++], lensum = m + n;
        if (at + n > size) break;
        const Py_UCS1 *c = packed + at;
        at += n;
        uint64_t v = ~(uint64_t)0;
        for (Py_ssize_t j = 0; j < n; j++) {
            uint64_t u = v & match[c[j]];
            v = (v + u) | (v - u);
        }
        Py_ssize_t common = (Py_ssize_t)__builtin_popcountll(~v & mask);
        double similarity = lensum > 0 ? 1.0 - (double)(lensum - 2 * common) / (double)lensum : 1.0;
        if (similarity < cutoff / 100.0) continue;
        double score = similarity * 100.0;
        if (score >= cutoff && score > best_score) {
            best = i, best_score = score;
            if (score == 100.0) break;
        }
    }
    for (Py_ssize_t k = 0; k < m; k++) match[a[k]] = 0;
    if (best_score == 100.0) return best;
    if (at != size || i != count) {
        PyErr_SetString(PyExc_ValueError, "packed does not hold the choices");
        return -2;
    }
    return best;
}

static PyObject *nearest(PyObject *self, PyObject *args)
{
    PyObject *word, *choices, *packed = Py_None;
    double cutoff;
    if (!PyArg_ParseTuple(args, "UO!d|O", &word, &PyList_Type, &choices, &cutoff, &packed))
        return NULL;
    Py_ssize_t m = PyUnicode_GET_LENGTH(word), longest = 0;
    if (packed != Py_None && !PyBytes_Check(packed)) {
        PyErr_SetString(PyExc_TypeError, "packed must be bytes or None");
        return NULL;
    }
    /* The choices' characters in one buffer, read in order, instead of a hundred strings
     * wherever they are in memory: the same result at a fraction of the cache misses. */
    if (packed != Py_None && m <= 64 && PyUnicode_KIND(word) == PyUnicode_1BYTE_KIND) {
        Py_ssize_t i = nearest_packed(word, (const Py_UCS1 *)PyBytes_AS_STRING(packed),
                                      PyBytes_GET_SIZE(packed), PyList_GET_SIZE(choices), cutoff);
        if (i == -2) return NULL;
        return Py_NewRef(i < 0 ? Py_None : PyList_GET_ITEM(choices, i));
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(choices); i++) {
        PyObject *choice = PyList_GET_ITEM(choices, i);
        if (!PyUnicode_Check(choice)) {
            PyErr_SetString(PyExc_TypeError, "choices must be str");
            return NULL;
        }
        if (PyUnicode_GET_LENGTH(choice) > longest) longest = PyUnicode_GET_LENGTH(choice);
    }
    Py_UCS4 *a = PyUnicode_AsUCS4Copy(word), *b = malloc(sizeof(Py_UCS4) * (size_t)(longest + 1));
    PyObject *best = Py_None;
    double best_score = -1.0;
    if (a == NULL || b == NULL) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        best = NULL;
        goto done;
    }
    /* A word of up to 64 Latin-1 letters (folded words are ASCII) is the bit pattern of a
     * bit-parallel LCS against every choice; built once, not once per choice as in lcs(). */
    uint64_t match[256] = {0};
    int narrow = m <= 64 && PyUnicode_KIND(word) == PyUnicode_1BYTE_KIND;
    for (Py_ssize_t i = 0; narrow && i < m; i++) match[a[i]] |= (uint64_t)1 << i;
    const uint64_t mask = m == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m) - 1);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(choices); i++) {
        PyObject *choice = PyList_GET_ITEM(choices, i);
        Py_ssize_t n = PyUnicode_GET_LENGTH(choice), lensum = m + n, common;
        if (narrow && PyUnicode_KIND(choice) == PyUnicode_1BYTE_KIND) {
            const Py_UCS1 *c = PyUnicode_1BYTE_DATA(choice);
            uint64_t v = ~(uint64_t)0;
            for (Py_ssize_t j = 0; j < n; j++) {
                uint64_t u = v & match[c[j]];
                v = (v + u) | (v - u);
            }
            common = (Py_ssize_t)__builtin_popcountll(~v & mask);
        } else {
            if (PyUnicode_AsUCS4(choice, b, longest + 1, 0) == NULL) {
                best = NULL;
                goto done;
            }
            if ((common = lcs(a, m, b, n)) < 0) {
                best = PyErr_NoMemory();
                goto done;
            }
        }
        /* rapidfuzz's operations: a normalised similarity, cut off, then scaled */
        double similarity = lensum > 0 ? 1.0 - (double)(lensum - 2 * common) / (double)lensum : 1.0;
        if (similarity < cutoff / 100.0) continue;
        double score = similarity * 100.0;
        if (score >= cutoff && score > best_score) {
            best = choice, best_score = score;
            if (score == 100.0) break;
        }
    }
    Py_XINCREF(best);
done:
    PyMem_Free(a);
    free(b);
    return best;
}

PyDoc_STRVAR(fold_doc,
"fold(text, table, digraphs) -> str | None\n\n"
"The end of bot.text.fold for a text already NFC-normalised and case-folded: `table` maps\n"
"code points below its length (a str, or None to keep the character), then each (src, dst)\n"
"of `digraphs` is replaced in turn, repeated letters a-z are collapsed and the runs of a-z\n"
"and 0-9 are joined by single spaces. None when a character outside ASCII is left: that\n"
"text needs the Python path (accents are stripped there).");

#define FOLD_WIDEST 4 /* characters a table item may map to (bot.text's longest is 2) */

static PyObject *fold(PyObject *self, PyObject *args)
{
    PyObject *text, *table, *digraphs;
    if (!PyArg_ParseTuple(args, "UO!O!", &text, &PyTuple_Type, &table, &PyTuple_Type,
                          &digraphs))
        return NULL;
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t len = PyUnicode_GET_LENGTH(text), size = PyTuple_GET_SIZE(table);
    char *buf = malloc((size_t)(len * FOLD_WIDEST + 1));
    if (buf == NULL) return PyErr_NoMemory();
    PyObject *result = NULL;
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        PyObject *to = (Py_ssize_t)c < size ? PyTuple_GET_ITEM(table, c) : Py_None;
        if (to != Py_None) {
            if (!PyUnicode_Check(to) || !PyUnicode_IS_ASCII(to) ||
                PyUnicode_GET_LENGTH(to) > FOLD_WIDEST) {
                PyErr_SetString(PyExc_TypeError, "table items must be None or ASCII str of "
                                                 "at most " Py_STRINGIFY(FOLD_WIDEST) " chars");
                goto done;
            }
            Py_ssize_t k = PyUnicode_GET_LENGTH(to);
            memcpy(buf + n, PyUnicode_1BYTE_DATA(to), (size_t)k);
            n += k;
        } else if (c < 128) {
            buf[n++] = (char)c;
        } else {
            result = Py_NewRef(Py_None);  /* accents and the like: the Python path */
            goto done;
        }
    }
    /* Each replacement in turn, left to right, as str.replace does; none is longer. */
    for (Py_ssize_t d = 0; d < PyTuple_GET_SIZE(digraphs); d++) {
        const char *src, *dst;
        Py_ssize_t ls, ld;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(digraphs, d), "s#s#", &src, &ls, &dst, &ld))
            goto done;
        if (ls == 0 || ld > ls) {
            PyErr_SetString(PyExc_ValueError, "a replacement must not be empty or longer");
            goto done;
        }
        Py_ssize_t w = 0;
        for (Py_ssize_t r = 0; r < n;) {
            if (r + ls <= n && memcmp(buf + r, src, (size_t)ls) == 0) {
                memmove(buf + w, dst, (size_t)ld);
                w += ld, r += ls;
            } else {
                buf[w++] = buf[r++];
            }
        }
        n = w;
    }
    /* Repeated letters collapse; words are the runs of a-z and 0-9, one space between. */
    Py_ssize_t w = 0;
    char last = 0;
    for (Py_ssize_t r = 0; r < n; r++) {
        char c = buf[r];
        int letter = c >= 'a' && c <= 'z', word = letter || (c >= '0' && c <= '9');
        if (letter && c == last) continue;
        if (word) {
            if (w > 0 && !(last >= 'a' && last <= 'z') && !(last >= '0' && last <= '9'))
                buf[w++] = ' ';
            buf[w++] = c;
        }
        last = c;
    }
    result = PyUnicode_DecodeASCII(buf, w, NULL);
done:
    free(buf);
    return result;
}

static PyMethodDef methods[] = {
    {"fold", fold, METH_VARARGS, fold_doc},
    {"nearest", nearest, METH_VARARGS, nearest_doc},
    {"name_table", name_table, METH_VARARGS, name_table_doc},
    {"odds", odds, METH_VARARGS, odds_doc},
    {"word_features", word_features, METH_VARARGS, word_features_doc},
    {"collect", collect, METH_VARARGS, collect_doc},
    {"rank", rank, METH_VARARGS, rank_doc},
    {"token_set_ratio", ratio, METH_VARARGS, ratio_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "bot._kernel", "The matcher's inner loops in C (see bot.ranking).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__kernel(void) { return PyModule_Create(&module); }
