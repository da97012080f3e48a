/* The keys of a policy entry: parsing each value from text with strict rules, checking it,
 * and writing it back as text that parses to the same value. */
#include "internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *const cmz__policy_keys[CMZ__KEY_COUNT] = {
    "algorithm",    "level",    "chunk_size", "auto_compress",
    "threshold_mb", "priority", "filter",     "typesize",
};

/* What each key wants, for "must be ..." messages. */
static const char *const expected[CMZ__KEY_COUNT] = {
    "a codec name such as zstd",
    "an integer",
    "a size such as 512KB, 4MB or 65536 (bytes)",
    "true or false",
    "a number of megabytes such as 5 or 0.5",
    "high, medium or low",
    "a filter name (none, shuffle, bitshuffle, delta, planes) or auto",
    "1, 2, 4 or 8 (0 with filter auto)",
};

static const char *const priority_names[] = {"high", "medium", "low"};

const char *cmz_priority_name(cmz_priority p) {
    return (unsigned)p < 3 ? priority_names[p] : "unknown";
}

int cmz__policy_key_index(const char *name) {
    for (int i = 0; i < CMZ__KEY_COUNT; i++)
        if (strcmp(name, cmz__policy_keys[i]) == 0) return i;
    return -1;
}

#define MIB ((uint64_t)1 << 20)

/* ---- sizes: "65536", "512KB", "4 MB", "1GiB"; units binary, as the CLI's (docs/CLI.md) ---- */

static bool parse_chunk_size(const cmz__value *v, cmz__diag_sink *r, uint32_t *out) {
    _Static_assert(CMZ_CHUNK_SIZE_MIN == 16 && CMZ_CHUNK_SIZE_MAX == 1u << 30,
                   "the messages name the limits");
    const cmz__number_rule rule = {"chunk_size",
                                   expected[CMZ__KEY_CHUNK_SIZE],
                                   CMZ_CHUNK_SIZE_MIN,
                                   CMZ_CHUNK_SIZE_MAX,
                                   0,
                                   false,
                                   true,
                                   "is below the minimum of 16 bytes",
                                   "is above the maximum of 1GB"};
    int64_t n;
    if (!cmz__parse_number(v, &rule, r, &n)) return false;
    *out = (uint32_t)n;
    return true;
}

static void format_size(uint64_t n, char *buf, size_t cap) {
    if (n && n % (1u << 30) == 0) snprintf(buf, cap, "%" PRIu64 "GB", n >> 30);
    else if (n && n % MIB == 0) snprintf(buf, cap, "%" PRIu64 "MB", n >> 20);
    else if (n && n % 1024 == 0) snprintf(buf, cap, "%" PRIu64 "KB", n >> 10);
    else snprintf(buf, cap, "%" PRIu64, n);
}

/* ---- threshold_mb: a plain decimal number of MiB, "5" or "0.5" ---- */

static bool parse_threshold(const cmz__value *v, cmz__diag_sink *r, uint64_t *out) {
    _Static_assert(CMZ_POLICY_THRESHOLD_MAX == MIB << 20, "the message names the maximum");
    const cmz__number_rule rule = {"threshold_mb",
                                   expected[CMZ__KEY_THRESHOLD_MB],
                                   0,
                                   (int64_t)CMZ_POLICY_THRESHOLD_MAX,
                                   20,
                                   true,
                                   false,
                                   NULL,
                                   "is above the maximum of 1048576 (1 TiB)"};
    int64_t n;
    if (!cmz__parse_number(v, &rule, r, &n)) return false;
    *out = (uint64_t)n; /* rounded to the nearest byte */
    return true;
}

/* Exact: bytes / 2^20 always has a finite decimal expansion (at most 20 digits), which
 * cmz__parse_number scales back exactly, so the text round-trips to the same byte count. */
static void format_mb(uint64_t bytes, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "%" PRIu64, bytes / MIB);
    uint64_t frac = bytes % MIB;
    if (!frac || n < 0) return;
    size_t len = (size_t)n;
    if (len + 1 < cap) buf[len++] = '.';
    while (frac && len + 1 < cap) {
        frac *= 10;
        buf[len++] = (char)('0' + (frac >> 20));
        frac &= MIB - 1;
    }
    buf[len < cap ? len : cap - 1] = '\0';
}

/* ---- the other keys ---- */

/* Any integer a codec could take; the codec's own range is checked with the entry's codec. */
static bool parse_level(const cmz__value *v, cmz__diag_sink *r, int *out) {
    const cmz__number_rule rule = {
        "level", expected[CMZ__KEY_LEVEL], -999999999,       999999999, 0, false,
        false,   "is out of range",        "is out of range"};
    int64_t n;
    if (!cmz__parse_number(v, &rule, r, &n)) return false;
    *out = (int)n;
    return true;
}

static bool parse_algorithm(const char *s, const cmz__value *v, cmz__diag_sink *r, int *out) {
    cmz_error err;
    cmz_error_clear(&err);
    const cmz_codec *codec = NULL;
    if (cmz_codec_by_name(s, &codec, &err) == CMZ_OK) {
        *out = (int)cmz_codec_id_of(codec);
        return true;
    }
    /* Known but not compiled in: kept, so the file travels; the callers decide whether that
     * is a warning (a file's value) or an error (a choice made now). */
    int known = cmz__codec_known_id(s);
    if (known >= 0) {
        *out = known;
        return true;
    }
    /* Suggested from every name cmz knows: the file may have been written for a build that
     * has the codec meant. */
    const char *names[CMZ_CODEC_ID_MAX + 1];
    size_t n = 0;
    for (int id = 0; id <= CMZ_CODEC_ID_MAX; id++) names[n++] = cmz__codec_known_name(id);
    const char *hint = err.status == CMZ_ERR_UNKNOWN_CODEC ? cmz__suggest(s, names, n) : NULL;
    if (hint) cmz__diag_error(r, v->line, v->column, "%s; did you mean '%s'?", err.message, hint);
    else cmz__diag_error(r, v->line, v->column, "%s", err.message);
    return false;
}

static bool parse_priority(const char *s, const cmz__value *v, cmz__diag_sink *r,
                           cmz_priority *out) {
    for (int i = 0; i < 3; i++)
        if (strcmp(s, priority_names[i]) == 0) {
            *out = (cmz_priority)i;
            return true;
        }
    char q[48];
    const char *hint = cmz__suggest(s, priority_names, 3);
    cmz__diag_error(r, v->line, v->column, "priority must be high, medium or low, got '%s'%s%s%s",
                    cmz__quote(s, q, sizeof q), hint ? "; did you mean '" : "", hint ? hint : "",
                    hint ? "'?" : "");
    return false;
}

bool cmz__policy_set_key(cmz_policy_entry *e, int key, const cmz__value *v, cmz__diag_sink *r) {
    static const unsigned takes[CMZ__KEY_COUNT] = {
        [CMZ__KEY_ALGORITHM] = CMZ__TAKES_STR,
        [CMZ__KEY_LEVEL] = CMZ__TAKES_INT,
        [CMZ__KEY_CHUNK_SIZE] = CMZ__TAKES_STR | CMZ__TAKES_INT,
        [CMZ__KEY_AUTO_COMPRESS] = CMZ__TAKES_BOOL,
        [CMZ__KEY_THRESHOLD_MB] = CMZ__TAKES_INT | CMZ__TAKES_FLOAT,
        [CMZ__KEY_PRIORITY] = CMZ__TAKES_STR,
        [CMZ__KEY_FILTER] = CMZ__TAKES_STR,
        [CMZ__KEY_TYPESIZE] = CMZ__TAKES_INT,
    };
    char q[48];
    if (!cmz__value_check(v, cmz__policy_keys[key], expected[key], takes[key], r)) return false;
    switch (key) {
    case CMZ__KEY_ALGORITHM: return parse_algorithm(v->text, v, r, &e->codec);
    case CMZ__KEY_LEVEL: return parse_level(v, r, &e->level);
    case CMZ__KEY_CHUNK_SIZE: return parse_chunk_size(v, r, &e->chunk_size);
    case CMZ__KEY_AUTO_COMPRESS:
        /* Strict on purpose: yes/no/on/off/1/0 are YAML 1.1 booleans in some readers and
         * strings in others; only true and false mean the same everywhere. */
        if (strcmp(v->text, "true") == 0 || strcmp(v->text, "false") == 0) {
            e->auto_compress = v->text[0] == 't';
            return true;
        }
        cmz__diag_error(r, v->line, v->column, "auto_compress must be true or false, got '%s'",
                        cmz__quote(v->text, q, sizeof q));
        return false;
    case CMZ__KEY_THRESHOLD_MB: return parse_threshold(v, r, &e->threshold);
    case CMZ__KEY_PRIORITY: return parse_priority(v->text, v, r, &e->priority);
    case CMZ__KEY_FILTER: return cmz__policy_parse_filter(v->text, v, r, &e->filter);
    case CMZ__KEY_TYPESIZE: return cmz__policy_parse_typesize(v, r, &e->typesize);
    }
    return false;
}

bool cmz__policy_check_level(const cmz_policy_entry *e, unsigned line, unsigned column,
                             cmz__diag_sink *r) {
    const cmz_codec *codec = cmz_codec_by_id(e->codec);
    if (!codec && cmz__codec_known_name(e->codec)) return true;
    if (!codec) {
        cmz__diag_error(r, line, column, "codec id %d is unknown", e->codec);
        return false;
    }
    cmz_error err;
    cmz_error_clear(&err);
    /* CMZ_LEVEL_DEFAULT is an API sentinel, never a level a file may name. */
    if (e->level == CMZ_LEVEL_DEFAULT)
        cmz__error(&err, CMZ_ERR_LEVEL_RANGE, "level %d is out of range for %s (valid: %d..%d)",
                   e->level, cmz_codec_name(codec), cmz_codec_min_level(codec),
                   cmz_codec_max_level(codec));
    else if (cmz_codec_check_level(codec, e->level, NULL, &err) == CMZ_OK) return true;
    else if (cmz_codec_min_level(codec) == cmz_codec_max_level(codec))
        /* "valid: 0..0" reads as a range to pick from; there is nothing to pick. */
        cmz__error(&err, CMZ_ERR_LEVEL_RANGE,
                   "%s has no levels: its level is %d (for level %d, choose an algorithm that "
                   "has levels)",
                   cmz_codec_name(codec), cmz_codec_min_level(codec), e->level);
    cmz__diag_error(r, line, column, "%s", err.message);
    return false;
}

void cmz__policy_check_codec(const cmz_policy_entry *e, unsigned line, unsigned column,
                             cmz__diag_sink *r) {
    const char *name = cmz__codec_known_name(e->codec);
    if (cmz_codec_by_id(e->codec) || !name) return;
    _Static_assert(CMZ_CODEC_ID_MAX < sizeof r->absent_codecs * CHAR_BIT, "a bit per codec");
    unsigned bit = 1u << e->codec;
    if (r->absent_codecs & bit) return;
    r->absent_codecs |= bit;
    cmz__diag_warn(r, line, column,
                   "%s is not compiled into this build: type '%s' (and any other type naming it) "
                   "uses %s (the build's default codec) at its default level",
                   name, e->type, cmz_codec_name(cmz_codec_default()));
}

bool cmz__policy_type_name_ok(const char *name) {
    size_t len = strlen(name);
    bool ok = len >= 1 && len <= CMZ_POLICY_TYPE_MAX &&
              (isalpha((unsigned char)name[0]) || name[0] == '_');
    for (size_t i = 0; ok && i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        ok = c < 0x80 && (isalnum(c) || c == '_' || c == '-' || c == '.');
    }
    return ok;
}

bool cmz__policy_check_type(const char *name, unsigned line, unsigned column, cmz__diag_sink *r) {
    bool ok = cmz__policy_type_name_ok(name);
    if (!ok) {
        char q[48];
        cmz__diag_error(r, line, column,
                        "type name '%s' is not valid: use up to %d letters, digits, '_', '-' and "
                        "'.', starting with a letter or '_'",
                        cmz__quote(name, q, sizeof q), CMZ_POLICY_TYPE_MAX);
    }
    return ok;
}

bool cmz__policy_check_entry(const cmz_policy_entry *e, cmz__diag_sink *r) {
    size_t before = r->errors;
    if (memchr(e->type, '\0', sizeof e->type) == NULL)
        cmz__diag_error(r, 0, 0, "type name is not NUL-terminated");
    else cmz__policy_check_type(e->type, 0, 0, r);
    if (cmz__policy_check_level(e, 0, 0, r)) cmz__policy_check_codec(e, 0, 0, r);
    if (e->chunk_size < CMZ_CHUNK_SIZE_MIN || e->chunk_size > CMZ_CHUNK_SIZE_MAX)
        cmz__diag_error(r, 0, 0, "chunk_size %" PRIu32 " bytes is outside %u bytes..1GB",
                        e->chunk_size, CMZ_CHUNK_SIZE_MIN);
    if (e->threshold > CMZ_POLICY_THRESHOLD_MAX)
        cmz__diag_error(r, 0, 0, "threshold of %" PRIu64 " bytes is above the maximum of 1 TiB",
                        e->threshold);
    if ((unsigned)e->priority > CMZ_PRIORITY_LOW)
        cmz__diag_error(r, 0, 0, "priority %d is not high, medium or low", (int)e->priority);
    if (e->filter != CMZ_FILTER_AUTO && cmz_filter_check(e->filter, 1) == CMZ_ERR_UNSUPPORTED)
        cmz__diag_error(r, 0, 0, "filter id %d is unknown", e->filter);
    else if (!cmz__policy_filter_pair_ok(e->codec, e->filter, e->typesize))
        cmz__diag_error(r, 0, 0, "typesize %u is not valid for filter %s", e->typesize,
                        cmz__policy_filter_name(e->filter));
    return r->errors == before;
}

size_t cmz_policy_format_value(const cmz_policy_entry *e, const char *key, char *buf, size_t cap) {
    if (!e || !key) return 0;
    char tmp[64];
    switch (cmz__policy_key_index(key)) {
    case CMZ__KEY_ALGORITHM:
        /* The name even when not compiled in: a saved file keeps what it said. */
        if (cmz__codec_known_name(e->codec))
            snprintf(tmp, sizeof tmp, "%s", cmz__codec_known_name(e->codec));
        else snprintf(tmp, sizeof tmp, "codec-%d", e->codec);
        break;
    case CMZ__KEY_LEVEL: snprintf(tmp, sizeof tmp, "%d", e->level); break;
    case CMZ__KEY_CHUNK_SIZE: format_size(e->chunk_size, tmp, sizeof tmp); break;
    case CMZ__KEY_AUTO_COMPRESS:
        snprintf(tmp, sizeof tmp, "%s", e->auto_compress ? "true" : "false");
        break;
    case CMZ__KEY_THRESHOLD_MB: format_mb(e->threshold, tmp, sizeof tmp); break;
    case CMZ__KEY_PRIORITY: snprintf(tmp, sizeof tmp, "%s", cmz_priority_name(e->priority)); break;
    case CMZ__KEY_FILTER:
        if (cmz__policy_filter_name(e->filter))
            snprintf(tmp, sizeof tmp, "%s", cmz__policy_filter_name(e->filter));
        else snprintf(tmp, sizeof tmp, "filter-%d", e->filter);
        break;
    case CMZ__KEY_TYPESIZE: snprintf(tmp, sizeof tmp, "%u", e->typesize); break;
    default: return 0;
    }
    int n = snprintf(buf, cap, "%s", tmp);
    return n < 0 ? 0 : (size_t)n;
}
