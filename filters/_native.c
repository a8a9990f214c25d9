/* Compiled inner loops of filters/vocab.py (optional: vocab.py has the same loops in Python, `_chunk_ids_py` and
 * `_add_plain_py`, and uses them when this module is not built, e.g. when the code ships to Spark executors as a
 * zip; tests/test_filters.py checks that both give the same results), of filters/omnicorpus.py's paragraph
 * pre-check and of filters/gopher.py's n-gram repetition.
 *
 * chunk_ids(chunks: dict[str, tuple[int, ...]], words: list[str], add: Callable[[list[str]], None]) -> bytes
 *   Every word's token ids, concatenated in order, as native int64 bytes (np.frombuffer reads them). Words not
 *   in `chunks` yet are passed to add() once (each once, first occurrence first), which must put them there;
 *   then only those positions are looked up again.
 * add_plain(chunks, tokens, strings, words, special) -> list[str]
 *   Adds the new words that are one token, themselves (letters only, not a special case); returns the others.
 * paragraph_counts and ngram_chars (filters/omnicorpus.py, filters/gopher.py): described where they are defined.
 *
 * Why C: a document is ~600 whitespace chunks, ~700 tokens, ~110 of them new to a fresh worker; in Python each
 * step is a C-level map, but there are many (lookup, check for misses, chain the tuples into numpy; set and dict
 * operations per new word): ~0.1 ms per document more.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* The words at the positions where found[i] is NULL, each once, first occurrence first. */
static PyObject *missing_words(PyObject *words, PyObject **found) {
    PyObject *out = PyList_New(0), *seen = PySet_New(NULL);
    if (out == NULL || seen == NULL)
        goto fail;
    for (Py_ssize_t i = 0, n = PyList_GET_SIZE(words); i < n; i++) {
        if (found[i] != NULL)
            continue;
        PyObject *w = PyList_GET_ITEM(words, i);
        int had = PySet_Contains(seen, w);
        if (had < 0 || (!had && (PySet_Add(seen, w) < 0 || PyList_Append(out, w) < 0)))
            goto fail;
    }
    Py_DECREF(seen);
    return out;
fail:
    Py_XDECREF(out);
    Py_XDECREF(seen);
    return NULL;
}

/* found[i] = chunks[words[i]] (borrowed) for every i with found[i] NULL; the number of token ids they add to
 * *total. `required`: a word still missing is a KeyError (after `add`), else it stays NULL. */
static int look_up(PyObject *chunks, PyObject *words, PyObject **found, Py_ssize_t *total, int required,
                   Py_ssize_t *missing) {
    *missing = 0;
    for (Py_ssize_t i = 0, n = PyList_GET_SIZE(words); i < n; i++) {
        if (found[i] != NULL)
            continue;
        PyObject *w = PyList_GET_ITEM(words, i);
        PyObject *v = PyDict_GetItemWithError(chunks, w);
        if (v == NULL) {
            if (PyErr_Occurred())
                return -1;
            if (required) {
                PyErr_SetObject(PyExc_KeyError, w);
                return -1;
            }
            (*missing)++;
            continue;
        }
        if (!PyTuple_Check(v)) {
            PyErr_Format(PyExc_TypeError, "chunk_ids: values must be tuples of ints, got %.100s", Py_TYPE(v)->tp_name);
            return -1;
        }
        found[i] = v;
        *total += PyTuple_GET_SIZE(v);
    }
    return 0;
}

static PyObject *chunk_ids(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *chunks, *words, *add;
    if (!PyArg_ParseTuple(args, "O!O!O:chunk_ids", &PyDict_Type, &chunks, &PyList_Type, &words, &add))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(words), total = 0, missing = 0, n_held = 0;
    PyObject **found = PyMem_Calloc(n ? n : 1, sizeof(PyObject *)), **held = NULL, *out = NULL;
    if (found == NULL)
        return PyErr_NoMemory();
    if (look_up(chunks, words, found, &total, 0, &missing) < 0)
        goto done;
    if (missing) {
        PyObject *new_words = missing_words(words, found);
        if (new_words == NULL)
            goto done;
        /* `add` runs Python code (the tokeniser): hold the tuples found so far while it runs */
        held = PyMem_Malloc(n * sizeof(PyObject *));
        if (held == NULL) {
            Py_DECREF(new_words);
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < n; i++)
            if (found[i] != NULL) {
                Py_INCREF(found[i]);
                held[n_held++] = found[i];
            }
        PyObject *r = PyObject_CallOneArg(add, new_words);
        Py_DECREF(new_words);
        int ok = r != NULL && look_up(chunks, words, found, &total, 1, &missing) == 0;
        Py_XDECREF(r);
        if (!ok)
            goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, total * (Py_ssize_t)sizeof(int64_t));
    if (out == NULL)
        goto done;
    int64_t *ids = (int64_t *)PyBytes_AS_STRING(out);
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = found[i];
        for (Py_ssize_t j = 0, m = PyTuple_GET_SIZE(t); j < m; j++) {
            long long id = PyLong_AsLongLong(PyTuple_GET_ITEM(t, j));
            if (id == -1 && PyErr_Occurred()) {
                Py_CLEAR(out);
                goto done;
            }
            ids[k++] = (int64_t)id;
        }
    }
done:
    for (Py_ssize_t i = 0; i < n_held; i++)
        Py_DECREF(held[i]);
    PyMem_Free(held);
    PyMem_Free(found);
    return out;
}

/* True when every character is a letter (str.isalpha: the same Py_UNICODE_ISALPHA test, non-empty). */
static int is_alpha(PyObject *s) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (n == 0)
        return 0;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    for (Py_ssize_t i = 0; i < n; i++)
        if (!Py_UNICODE_ISALPHA(PyUnicode_READ(kind, data, i)))
            return 0;
    return 1;
}

/* add_plain(chunks, tokens, strings, words, special) -> list[str]
 *   Adds the words that are one token, themselves (letters only, not in `special`): a new token gets the next id
 *   (tokens[word] = len(strings); strings.append(word)) and chunks[word] = (id,). Returns the other words, for the
 *   tokeniser. The caller fills the per-token columns for strings[old_len:]. */
static PyObject *add_plain(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *chunks, *tokens, *strings, *words, *special;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O:add_plain", &PyDict_Type, &chunks, &PyDict_Type, &tokens,
                          &PyList_Type, &strings, &PyList_Type, &words, &special))
        return NULL;
    if (!PyAnySet_Check(special))
        return PyErr_Format(PyExc_TypeError, "add_plain: special must be a set or frozenset");
    PyObject *rest = PyList_New(0);
    if (rest == NULL)
        return NULL;
    for (Py_ssize_t i = 0, n = PyList_GET_SIZE(words); i < n; i++) {
        PyObject *w = PyList_GET_ITEM(words, i);
        if (!PyUnicode_Check(w)) {
            PyErr_Format(PyExc_TypeError, "add_plain: words must be str, got %.100s", Py_TYPE(w)->tp_name);
            goto fail;
        }
        int sp = PySet_Contains(special, w);
        if (sp < 0)
            goto fail;
        if (sp || !is_alpha(w)) {
            if (PyList_Append(rest, w) < 0)
                goto fail;
            continue;
        }
        PyObject *id = PyDict_GetItemWithError(tokens, w); /* borrowed */
        if (id == NULL) {
            if (PyErr_Occurred())
                goto fail;
            id = PyLong_FromSsize_t(PyList_GET_SIZE(strings));
            if (id == NULL)
                goto fail;
            int bad = PyDict_SetItem(tokens, w, id) < 0 || PyList_Append(strings, w) < 0;
            Py_DECREF(id); /* the dict holds it now */
            if (bad)
                goto fail;
            id = PyDict_GetItemWithError(tokens, w);
        }
        PyObject *one = PyTuple_Pack(1, id);
        if (one == NULL)
            goto fail;
        int bad = PyDict_SetItem(chunks, w, one) < 0;
        Py_DECREF(one);
        if (bad)
            goto fail;
    }
    return rest;
fail:
    Py_DECREF(rest);
    return NULL;
}

/* ngram_chars(encoded) -> bytes
 *   The work of filters/gopher.py's ngram_repetition_many: encoded is a list of (word hashes: uint64 array, word
 *   lengths: int64 array) per document; returns, per document, int64 characters for n = 2..10 (top n-gram for
 *   2..4, duplicated n-grams for 5..10), row after row. TypeError for arrays of other types or not contiguous:
 *   the caller then runs `_ngram_chars_py`, the numpy form, which is the definition (the steps here are its
 *   steps, one for one; tests/test_ngram_fast.py checks that both give the same bytes).
 *
 * Why C: numpy needs an argsort per n to group equal n-gram keys, a Python loop for Gopher's sequential
 * duplicate scan and a dozen temporaries the size of the batch; here one open-addressing hash table per n groups
 * the same 64-bit keys (over the whole batch, so even a collision between documents counts as numpy counts it)
 * in O(candidates), and the scan is a C loop. */
#define NGRAM_FIRST 2
#define NGRAM_LAST 10
#define NGRAM_TOP_LAST 4
#define NGRAM_COLUMNS (NGRAM_LAST - NGRAM_FIRST + 1)
#define NGRAM_AHEAD 16 /* hash table slots are prefetched this many candidates ahead */

/* Scratch memory kept between calls (the GIL is held for a whole call, so calls never share it): fresh pages for
 * every batch cost about as much as the work (page faults). A batch of 256 web pages (~180k words) takes ~15 MB;
 * over NGRAM_KEEP_BYTES in all, everything is freed after the call, so huge batches do not pin their memory. */
#define NGRAM_KEEP_BYTES ((size_t)48 << 20)
enum { S_WORDS, S_CUM, S_START, S_TOP, S_HASH, S_GROUP, S_DOC, S_POS, S_GID, S_CNT, S_SLOTS, S_REP, S_SEEN,
       S_DONE, S_HIT, S_N };
static struct {
    void *p;
    size_t size;
} ngram_scratch[S_N];

static void *scratch(int which, size_t bytes) {
    if (bytes == 0)
        bytes = 1;
    if (ngram_scratch[which].size < bytes) {
        PyMem_Free(ngram_scratch[which].p);
        size_t size = bytes + bytes / 4;
        ngram_scratch[which].p = PyMem_Malloc(size);
        ngram_scratch[which].size = ngram_scratch[which].p ? size : 0;
    }
    return ngram_scratch[which].p;
}

static void release_big_scratch(void) {
    size_t held = 0;
    for (int i = 0; i < S_N; i++)
        held += ngram_scratch[i].size;
    for (int i = 0; held > NGRAM_KEEP_BYTES && i < S_N; i++) {
        PyMem_Free(ngram_scratch[i].p);
        ngram_scratch[i].p = NULL;
        ngram_scratch[i].size = 0;
    }
}

struct ngram_group {
    uint64_t key;
    int64_t count;
};

static inline uint64_t slot_of(uint64_t key, int shift) {
    key ^= key >> 29;
    return (key * 0xBF58476D1CE4E5B9ULL) >> (64 - shift);
}

/* The group of `key` (a new one when first seen), its count raised by one; h: its slot by slot_of. */
static inline int32_t place(int32_t *slots, struct ngram_group *grp, int32_t *groups, uint64_t key, uint64_t h,
                            uint64_t mask) {
    for (;; h = (h + 1) & mask) {
        int32_t g = slots[h];
        if (g < 0) {
            g = slots[h] = (*groups)++;
            grp[g].key = key;
            grp[g].count = 1;
            return g;
        }
        if (grp[g].key == key) {
            grp[g].count++;
            return g;
        }
    }
}

/* The numbers for all documents: words, cum (characters before each word, total + 1 of them) and dstart (each
 * document's first word, n_docs + 1 of them) over the whole batch; res: n_docs rows of NGRAM_COLUMNS, zeros.
 * Returns 0, or -1 when out of memory. */
static int ngram_table(const uint64_t *words, const int64_t *cum, const int64_t *dstart, Py_ssize_t n_docs,
                       int64_t *res) {
    const uint64_t hash_mul = 0x9E3779B97F4A7C15ULL, doc_mul = 0xD6E8FEB86659FD93ULL;
    Py_ssize_t total = dstart[n_docs];
    size_t nw = (size_t)total, nd = (size_t)n_docs, table = 16;
    while (table < 2 * nw)
        table *= 2;
    int64_t *top = scratch(S_TOP, nd * sizeof(int64_t));
    uint64_t *hash = scratch(S_HASH, nw * sizeof(uint64_t));
    struct ngram_group *grp = scratch(S_GROUP, nw * sizeof(struct ngram_group));
    int32_t *doc = scratch(S_DOC, nw * sizeof(int32_t)), *pos = scratch(S_POS, nw * sizeof(int32_t));
    int32_t *gid = scratch(S_GID, nw * sizeof(int32_t)), *cnt = scratch(S_CNT, nw * sizeof(int32_t));
    int32_t *slots = scratch(S_SLOTS, table * sizeof(int32_t));
    uint8_t *rep = scratch(S_REP, nw), *seen = scratch(S_SEEN, nw), *done = scratch(S_DONE, nd);
    uint8_t *hit = scratch(S_HIT, nd);
    if (!top || !hash || !grp || !doc || !pos || !gid || !cnt || !slots || !rep || !seen || !done || !hit)
        return -1;
    memset(rep, 0, nw);
    memset(done, 0, nd);
    memset(hit, 0, nd);
    Py_ssize_t n_pos = 0; /* the candidate positions, ascending: every n-gram at n = 2 */
    for (Py_ssize_t d = 0; d < n_docs; d++) {
        for (int64_t p = dstart[d]; p < dstart[d + 1]; p++) {
            doc[p] = (int32_t)d;
            if (p + NGRAM_FIRST <= dstart[d + 1])
                pos[n_pos++] = (int32_t)p;
        }
    }
    for (int n = NGRAM_FIRST; n <= NGRAM_LAST; n++) {
        if (total - n + 1 <= 0)
            break;
        if (n > NGRAM_FIRST) { /* keep the positions where the (n-1)-grams at p and p + 1 both repeat */
            Py_ssize_t kept = 0;
            for (Py_ssize_t i = 0; i < n_pos; i++) {
                int32_t p = pos[i];
                if (p + n <= dstart[doc[p] + 1] && rep[p + 1] == n - 1)
                    pos[kept++] = p;
            }
            n_pos = kept;
        }
        /* group equal keys (hash ^ document): gid = each candidate's group, then cnt = the count of its group */
        int shift = 4;
        while (((Py_ssize_t)1 << shift) < 2 * n_pos)
            shift++;
        uint64_t mask = ((uint64_t)1 << shift) - 1;
        memset(slots, 0xFF, ((size_t)1 << shift) * sizeof(int32_t));
        int32_t groups = 0;
        uint64_t ring_key[NGRAM_AHEAD], ring_slot[NGRAM_AHEAD];
        for (Py_ssize_t i = -NGRAM_AHEAD; i < n_pos; i++) {
            if (i >= 0) /* place candidate i, whose slot was fetched NGRAM_AHEAD steps ago */
                gid[i] = place(slots, grp, &groups, ring_key[i % NGRAM_AHEAD], ring_slot[i % NGRAM_AHEAD], mask);
            Py_ssize_t ahead = i + NGRAM_AHEAD; /* its ring place is free now */
            if (ahead < n_pos) {
                int32_t p = pos[ahead]; /* p was a candidate at n - 1 too: hash[p] holds its (n-1)-gram */
                hash[p] = (n == NGRAM_FIRST ? words[p] : hash[p]) * hash_mul + words[p + n - 1];
                uint64_t key = hash[p] ^ ((uint64_t)doc[p] * doc_mul), h = slot_of(key, shift);
#if defined(__GNUC__)
                __builtin_prefetch(&slots[h]);
#endif
                ring_key[ahead % NGRAM_AHEAD] = key;
                ring_slot[ahead % NGRAM_AHEAD] = h;
            }
        }
        for (Py_ssize_t d = 0; d < n_docs; d++)
            top[d] = 0;
        for (Py_ssize_t i = 0; i < n_pos; i++) {
            int32_t d = doc[pos[i]];
            cnt[i] = (int32_t)grp[gid[i]].count;
            if (cnt[i] > top[d])
                top[d] = cnt[i];
        }
        /* documents with no repeated n-gram: their top n-gram is their first, once, and nothing longer repeats */
        for (Py_ssize_t d = 0; d < n_docs; d++) {
            int64_t size = dstart[d + 1] - dstart[d];
            if (done[d] || size < n || top[d] >= 2)
                continue;
            for (int k = n; k <= NGRAM_TOP_LAST && k <= size; k++)
                res[d * NGRAM_COLUMNS + k - NGRAM_FIRST] = cum[dstart[d] + k] - cum[dstart[d]] + k - 1;
            done[d] = 1;
        }
        if (n_pos == 0)
            break;
        if (n <= NGRAM_TOP_LAST) { /* per document with a repeat: the first position with its top count */
            for (Py_ssize_t i = 0; i < n_pos; i++) {
                int32_t p = pos[i], d = doc[p], c = cnt[i];
                if (c > 1 && c == top[d] && hit[d] != n) {
                    hit[d] = (uint8_t)n;
                    res[(Py_ssize_t)d * NGRAM_COLUMNS + n - NGRAM_FIRST] = (cum[p + n] - cum[p] + n - 1) * top[d];
                }
            }
        } else { /* Gopher's sequential scan over the repeating n-grams (see _scan_duplicates) */
            memset(seen, 0, groups);
            int64_t next_free = 0;
            for (Py_ssize_t i = 0; i < n_pos; i++) {
                int32_t p = pos[i], g = gid[i];
                if (cnt[i] < 2 || p < next_free)
                    continue;
                if (seen[g]) {
                    res[(Py_ssize_t)doc[p] * NGRAM_COLUMNS + n - NGRAM_FIRST] += cum[p + n] - cum[p];
                    next_free = p + n;
                } else {
                    seen[g] = 1;
                }
            }
        }
        Py_ssize_t kept = 0; /* the repeating positions: the candidates for n + 1 */
        for (Py_ssize_t i = 0; i < n_pos; i++) {
            if (cnt[i] > 1) {
                rep[pos[i]] = (uint8_t)n;
                pos[kept++] = pos[i];
            }
        }
        n_pos = kept;
    }
    return 0;
}

/* A C-contiguous buffer of 8-byte integers: unsigned (word hashes) or signed (lengths); else TypeError. */
static int int64_view(PyObject *obj, Py_buffer *view, int is_unsigned) {
    if (PyObject_GetBuffer(obj, view, PyBUF_STRIDES | PyBUF_FORMAT) < 0)
        return -1;
    const char *f = view->format ? view->format : "B";
    if (*f == '@' || *f == '=')
        f++;
    int ok = view->itemsize == 8 && f[0] != '\0' && f[1] == '\0' && PyBuffer_IsContiguous(view, 'C') &&
             (is_unsigned ? (f[0] == 'L' || f[0] == 'Q') : (f[0] == 'l' || f[0] == 'q'));
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "ngram_chars: expected contiguous %s 8-byte integers, got format %s",
                     is_unsigned ? "unsigned" : "signed", view->format ? view->format : "B");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *ngram_chars(PyObject *Py_UNUSED(self), PyObject *encoded) {
    PyObject *seq = PySequence_Fast(encoded, "ngram_chars: expected a list of (word hashes, word lengths)");
    if (seq == NULL)
        return NULL;
    PyObject *out = NULL;
    Py_ssize_t n_docs = PySequence_Fast_GET_SIZE(seq), total = 0;
    if (n_docs > INT32_MAX) { /* int32 document indexes */
        PyErr_SetString(PyExc_OverflowError, "ngram_chars: too many documents for one call");
        goto fail;
    }
    int64_t *dstart = scratch(S_START, (size_t)(n_docs + 1) * sizeof(int64_t));
    if (dstart == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    dstart[0] = 0;
    for (int pass = 0; pass < 2; pass++) { /* count the words, then copy them */
        uint64_t *words = NULL;
        int64_t *cum = NULL;
        if (pass == 1) {
            if (total >= (Py_ssize_t)1 << 30) { /* int32 positions */
                PyErr_SetString(PyExc_OverflowError, "ngram_chars: too many words for one call");
                goto fail;
            }
            words = scratch(S_WORDS, (size_t)total * sizeof(uint64_t));
            cum = scratch(S_CUM, (size_t)(total + 1) * sizeof(int64_t));
            if (words == NULL || cum == NULL) {
                PyErr_NoMemory();
                goto fail;
            }
            cum[0] = 0;
        }
        for (Py_ssize_t d = 0; d < n_docs; d++) {
            PyObject *item = PySequence_Fast_GET_ITEM(seq, d);
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
                PyErr_SetString(PyExc_TypeError, "ngram_chars: expected (word hashes, word lengths) tuples");
                goto fail;
            }
            Py_buffer hv, lv;
            if (int64_view(PyTuple_GET_ITEM(item, 0), &hv, 1) < 0)
                goto fail;
            if (int64_view(PyTuple_GET_ITEM(item, 1), &lv, 0) < 0) {
                PyBuffer_Release(&hv);
                goto fail;
            }
            Py_ssize_t size = hv.len / 8; /* the same array twice: the same size (checked all the same) */
            int same = lv.len == hv.len && (pass == 0 || size == dstart[d + 1] - dstart[d]);
            if (same && pass == 0) {
                dstart[d + 1] = dstart[d] + size;
                total += size;
            } else if (same) {
                const int64_t *lengths = lv.buf;
                memcpy(words + dstart[d], hv.buf, (size_t)hv.len);
                for (Py_ssize_t i = dstart[d]; i < dstart[d + 1]; i++)
                    cum[i + 1] = cum[i] + lengths[i - dstart[d]];
            }
            PyBuffer_Release(&hv);
            PyBuffer_Release(&lv);
            if (!same) {
                PyErr_SetString(PyExc_ValueError, "ngram_chars: a document's word hashes and lengths differ in number");
                goto fail;
            }
        }
        if (pass == 1) {
            out = PyBytes_FromStringAndSize(NULL, n_docs * NGRAM_COLUMNS * (Py_ssize_t)sizeof(int64_t));
            if (out == NULL)
                goto fail;
            int64_t *res = (int64_t *)PyBytes_AS_STRING(out);
            memset(res, 0, (size_t)n_docs * NGRAM_COLUMNS * sizeof(int64_t));
            if (ngram_table(words, cum, dstart, n_docs, res) < 0) {
                PyErr_NoMemory();
                goto fail;
            }
        }
    }
    Py_DECREF(seq);
    release_big_scratch();
    return out;
fail:
    Py_DECREF(seq);
    Py_XDECREF(out);
    release_big_scratch();
    return NULL;
}

/* paragraph_counts(paragraphs: list[str], uppercase_max: float) -> bytes
 *   For filters/omnicorpus.py's paragraph pre-check, two int64 per paragraph: its spaces (" " only, as
 *   str.count(" ")), and 1 when more than uppercase_max of its non-whitespace characters are upper case
 *   (str.isupper per character over the characters str.split() keeps: the upper-case rule itself), else 0.
 *   One pass over each paragraph's characters instead of several maps and a bytes copy in Python. */
static PyObject *paragraph_counts(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *paragraphs;
    double uppercase_max;
    if (!PyArg_ParseTuple(args, "O!d:paragraph_counts", &PyList_Type, &paragraphs, &uppercase_max))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(paragraphs);
    PyObject *out = PyBytes_FromStringAndSize(NULL, 2 * n * (Py_ssize_t)sizeof(int64_t));
    if (out == NULL)
        return NULL;
    int64_t *res = (int64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PyList_GET_ITEM(paragraphs, i);
        if (!PyUnicode_Check(s)) {
            Py_DECREF(out);
            return PyErr_Format(PyExc_TypeError, "paragraph_counts: expected str, got %.100s", Py_TYPE(s)->tp_name);
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(s), spaces = 0, upper = 0, visible = 0;
        int kind = PyUnicode_KIND(s);
        const void *data = PyUnicode_DATA(s);
        for (Py_ssize_t j = 0; j < len; j++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, j);
            if (c == ' ')
                spaces++;
            if (Py_UNICODE_ISSPACE(c))
                continue;
            visible++;
            if (Py_UNICODE_ISUPPER(c))
                upper++;
        }
        res[2 * i] = spaces;
        res[2 * i + 1] = visible > 0 && (double)upper / (double)visible > uppercase_max;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"paragraph_counts", paragraph_counts, METH_VARARGS,
     "paragraph_counts(paragraphs, uppercase_max) -> bytes of int64 (spaces, mostly upper case) per paragraph"},
    {"ngram_chars", ngram_chars, METH_O,
     "ngram_chars(encoded) -> bytes of int64 n-gram characters, 9 per document (n = 2..10)"},
    {"add_plain", add_plain, METH_VARARGS,
     "add_plain(chunks, tokens, strings, words, special) -> the words that are not one plain token"},
    {"chunk_ids", chunk_ids, METH_VARARGS,
     "chunk_ids(chunks, words, add) -> bytes of int64 token ids (add(new words) first puts the missing in chunks)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "filters._native",
    .m_doc = "Compiled inner loops of filters/vocab.py, omnicorpus.py and gopher.py",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
