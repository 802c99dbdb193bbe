/* A small recursive-descent JSON reader for test manifests. */
#include "json_min.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *p;
};

static void ws(struct parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

static struct json *value(struct parser *ps);

static char *string(struct parser *ps)
{
    size_t cap = 16, n = 0;
    char *s = malloc(cap);

    if (!s || *ps->p != '"')
        return NULL;
    ps->p++;
    while (*ps->p != '"') {
        char c = *ps->p++;
        if (c == '\0')
            return NULL;
        if (c == '\\') {
            char e = *ps->p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 0; i < 4; i++) {
                    char h = *ps->p++;
                    v <<= 4;
                    if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
                    else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
                    else return NULL;
                }
                c = v < 0x80 ? (char)v : '?';
                break;
            }
            case '"': case '\\': case '/': c = e; break;
            default: return NULL;
            }
        }
        if (n + 2 > cap) {
            cap *= 2;
            s = realloc(s, cap);
            if (!s)
                return NULL;
        }
        s[n++] = c;
    }
    ps->p++;
    s[n] = '\0';
    return s;
}

static struct json *node(enum json_type t)
{
    struct json *j = calloc(1, sizeof(*j));
    if (j)
        j->type = t;
    return j;
}

static int push(struct json *j, char *key, struct json *v)
{
    j->items = realloc(j->items, (j->n + 1) * sizeof(*j->items));
    j->keys = realloc(j->keys, (j->n + 1) * sizeof(*j->keys));
    if (!j->items || !j->keys)
        return -1;
    j->items[j->n] = v;
    j->keys[j->n] = key;
    j->n++;
    return 0;
}

static struct json *value(struct parser *ps)
{
    struct json *j;

    ws(ps);
    switch (*ps->p) {
    case '{':
        j = node(JSON_OBJ);
        ps->p++;
        ws(ps);
        if (*ps->p == '}') {
            ps->p++;
            return j;
        }
        for (;;) {
            char *k;
            struct json *v;
            ws(ps);
            k = string(ps);
            if (!k)
                return NULL;
            ws(ps);
            if (*ps->p++ != ':')
                return NULL;
            v = value(ps);
            if (!v || push(j, k, v))
                return NULL;
            ws(ps);
            if (*ps->p == ',') {
                ps->p++;
                continue;
            }
            if (*ps->p++ != '}')
                return NULL;
            return j;
        }
    case '[':
        j = node(JSON_ARR);
        ps->p++;
        ws(ps);
        if (*ps->p == ']') {
            ps->p++;
            return j;
        }
        for (;;) {
            struct json *v = value(ps);
            if (!v || push(j, NULL, v))
                return NULL;
            ws(ps);
            if (*ps->p == ',') {
                ps->p++;
                continue;
            }
            if (*ps->p++ != ']')
                return NULL;
            return j;
        }
    case '"':
        j = node(JSON_STR);
        j->str = string(ps);
        return j->str ? j : NULL;
    case 't':
        if (strncmp(ps->p, "true", 4))
            return NULL;
        ps->p += 4;
        j = node(JSON_BOOL);
        j->b = true;
        return j;
    case 'f':
        if (strncmp(ps->p, "false", 5))
            return NULL;
        ps->p += 5;
        return node(JSON_BOOL);
    case 'n':
        if (strncmp(ps->p, "null", 4))
            return NULL;
        ps->p += 4;
        return node(JSON_NULL);
    default: {
        char *end;
        double d = strtod(ps->p, &end);
        if (end == ps->p)
            return NULL;
        ps->p = end;
        j = node(JSON_NUM);
        j->num = d;
        return j;
    }
    }
}

struct json *json_parse(const char *text)
{
    struct parser ps = { text };
    struct json *j = value(&ps);

    ws(&ps);
    return (j && *ps.p == '\0') ? j : NULL;
}

struct json *json_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    struct json *j;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    j = json_parse(buf);
    free(buf);
    return j;
}

const struct json *json_get(const struct json *o, const char *key)
{
    if (!o || o->type != JSON_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0)
            return o->items[i];
    return NULL;
}

const char *json_str(const struct json *v)
{
    return v && v->type == JSON_STR ? v->str : NULL;
}

long long json_int(const struct json *v, long long dflt)
{
    if (!v)
        return dflt;
    if (v->type == JSON_NUM)
        return (long long)v->num;
    if (v->type == JSON_STR && v->str[0]) {
        char *end;
        long long x = strtoll(v->str, &end, 0);
        return *end == '\0' ? x : dflt;
    }
    return dflt;
}

bool json_true(const struct json *v)
{
    return v && v->type == JSON_BOOL && v->b;
}

bool json_is_null(const struct json *v)
{
    return !v || v->type == JSON_NULL;
}
