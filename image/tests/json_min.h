/* A small JSON reader for test manifests (host tests only; never frees). */
#ifndef DFUBOOT_IMAGE_TESTS_JSON_MIN_H
#define DFUBOOT_IMAGE_TESTS_JSON_MIN_H

#include <stdbool.h>
#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
    enum json_type type;
    bool b;
    double num;
    char *str;
    size_t n;            /* items in an array or object */
    struct json **items; /* values */
    char **keys;         /* object keys */
};

/* Parses a whole document; NULL on a syntax error. */
struct json *json_parse(const char *text);
/* Reads and parses a file; NULL if unreadable or invalid. */
struct json *json_load(const char *path);

/* Member `key` of an object (NULL if absent or not an object). */
const struct json *json_get(const struct json *o, const char *key);
/* String value or NULL. */
const char *json_str(const struct json *v);
/* Integer value (numbers, or strings like "0x200" / "42"); `dflt` otherwise. */
long long json_int(const struct json *v, long long dflt);
/* true only for JSON true. */
bool json_true(const struct json *v);
bool json_is_null(const struct json *v);

#endif
