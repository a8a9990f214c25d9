/* Compiled inner loops of filters/vocab.py (optional: vocab.py has the same loops in Python, `_chunk_ids_py` and
 * `_add_plain_py`, and uses them when this module is not built, e.g. when the code ships to Spark executors as a
 * zip; tests/test_filters.py checks that both give the same results).
 *
 * chunk_ids(chunks: dict[str, tuple[int, ...]], words: list[str]) -> bytes | list[str]
 *   Every word's token ids, concatenated in order, as native int64 bytes (np.frombuffer reads them); or, when
 *   some words are not in `chunks` yet, the list of those words (each once, first occurrence first), so the
 *   caller can tokenise them, add them and call again.
 * add_plain(chunks, tokens, strings, words, special) -> list[str]
 *   Adds the new words that are one token, themselves (letters only, not a special case); returns the others.
 *
 * Why C: a document is ~600 whitespace chunks, ~700 tokens, ~110 of them new to a fresh worker; in Python each
 * step is a C-level map, but there are many (lookup, check for misses, chain the tuples into numpy; set and dict
 * operations per new word): ~0.1 ms per document more.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static PyObject *missing_words(PyObject *chunks, PyObject *words, Py_ssize_t first_miss) {
    PyObject *out = PyList_New(0), *seen = PySet_New(NULL);
    if (out == NULL || seen == NULL)
        goto fail;
    Py_ssize_t n = PyList_GET_SIZE(words);
    for (Py_ssize_t i = first_miss; i < n; i++) {
        PyObject *w = PyList_GET_ITEM(words, i);
        PyObject *v = PyDict_GetItemWithError(chunks, w);
        if (v != NULL)
            continue;
        if (PyErr_Occurred())
            goto fail;
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

static PyObject *chunk_ids(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *chunks, *words;
    if (!PyArg_ParseTuple(args, "O!O!:chunk_ids", &PyDict_Type, &chunks, &PyList_Type, &words))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(words);
    /* First pass: the tuples (borrowed: the dict holds them and nothing here can change it) and the total. */
    PyObject **found = PyMem_Malloc((n ? n : 1) * sizeof(PyObject *));
    if (found == NULL)
        return PyErr_NoMemory();
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PyDict_GetItemWithError(chunks, PyList_GET_ITEM(words, i));
        if (v == NULL) {
            PyMem_Free(found);
            return PyErr_Occurred() ? NULL : missing_words(chunks, words, i);
        }
        if (!PyTuple_Check(v)) {
            PyMem_Free(found);
            return PyErr_Format(PyExc_TypeError, "chunk_ids: values must be tuples of ints, got %.100s",
                                Py_TYPE(v)->tp_name);
        }
        found[i] = v;
        total += PyTuple_GET_SIZE(v);
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, total * (Py_ssize_t)sizeof(int64_t));
    if (out == NULL) {
        PyMem_Free(found);
        return NULL;
    }
    int64_t *ids = (int64_t *)PyBytes_AS_STRING(out);
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = found[i];
        for (Py_ssize_t j = 0, m = PyTuple_GET_SIZE(t); j < m; j++) {
            long long id = PyLong_AsLongLong(PyTuple_GET_ITEM(t, j));
            if (id == -1 && PyErr_Occurred()) {
                PyMem_Free(found);
                Py_DECREF(out);
                return NULL;
            }
            ids[k++] = (int64_t)id;
        }
    }
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

static PyMethodDef methods[] = {
    {"add_plain", add_plain, METH_VARARGS,
     "add_plain(chunks, tokens, strings, words, special) -> the words that are not one plain token"},
    {"chunk_ids", chunk_ids, METH_VARARGS,
     "chunk_ids(chunks, words) -> bytes of int64 token ids, or the list of words not in chunks"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "filters._native",
    .m_doc = "Compiled inner loops of filters/vocab.py",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
