/* Loading a policy, and the release rules (release.c), from a string or a file: one loader
 * for both, the parsing itself being parse.c's and release_parse.c's. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

cmz_status cmz__load_yaml_string(const char *text, size_t size, const char *name,
                                 cmz__yaml_text_parser parse, void *out, cmz_diags *diags) {
    cmz__diag_sink r;
    cmz__diag_sink_init(&r, diags, name ? name : "<string>");
    size_t first = cmz_diags_count(diags);
    cmz_status st = parse(text ? text : "", size, &r, out);
    cmz__diags_sort_from(diags, first);
    if (st != CMZ_OK) return st;
    return r.errors ? CMZ_ERR_INVALID_ARG : CMZ_OK;
}

/* Reads a YAML file whole (pipes too) into a cmz__malloc'd buffer (*text; the caller frees it). */
static cmz_status read_yaml_file(const char *path, const char *not_what, cmz__diag_sink *r,
                                 char **text_out, size_t *size_out) {
    *text_out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        cmz__diag_error(r, 0, 0, "cannot read: %s", strerror(errno));
        return CMZ_ERR_IO;
    }
    /* Grows as needed: works for pipes and /dev/stdin as well as regular files. */
    size_t cap = 16384, size = 0;
    char *text = NULL;
    for (;;) {
        char *grown = cmz__malloc(cap + 1);
        if (!grown) {
            cmz__free(text);
            fclose(f);
            return CMZ_ERR_NOMEM;
        }
        if (text) memcpy(grown, text, size);
        cmz__free(text);
        text = grown;
        size += fread(text + size, 1, cap + 1 - size, f);
        if (size <= cap || cap >= CMZ__YAML_MAX_SIZE) break;
        cap *= 2;
    }
    int failed = ferror(f), e = errno;
    fclose(f);
    cmz_status st = CMZ_OK;
    if (failed) {
        cmz__diag_error(r, 0, 0, "cannot read: %s", strerror(e));
        st = CMZ_ERR_IO;
    } else if (size > CMZ__YAML_MAX_SIZE) {
        cmz__diag_error(r, 0, 0, "file is larger than %zu MiB: not %s", CMZ__YAML_MAX_SIZE >> 20,
                        not_what);
        st = CMZ_ERR_INVALID_ARG;
    }
    if (st != CMZ_OK) {
        cmz__free(text);
        return st;
    }
    *text_out = text;
    *size_out = size;
    return CMZ_OK;
}

cmz_status cmz__load_yaml_file(const char *path, const char *not_what, cmz__yaml_text_parser parse,
                               void *out, cmz_diags *diags) {
    cmz__diag_sink r;
    cmz__diag_sink_init(&r, diags, path);
    char *text;
    size_t size;
    cmz_status st = read_yaml_file(path, not_what, &r, &text, &size);
    if (st != CMZ_OK) return st;
    size_t first = cmz_diags_count(diags);
    st = parse(text, size, &r, out);
    cmz__diags_sort_from(diags, first);
    if (st == CMZ_OK && r.errors) st = CMZ_ERR_INVALID_ARG;
    cmz__free(text);
    return st;
}

static cmz_status parse_policy(const char *text, size_t size, cmz__diag_sink *r, void *out) {
    return cmz__policy_parse(text, size, r, out);
}

cmz_status cmz_policy_load_string(const char *text, size_t size, const char *name, cmz_policy **out,
                                  cmz_diags *diags) {
    if (out) *out = NULL;
    if (!out || (!text && size)) return CMZ_ERR_INVALID_ARG;
    return cmz__load_yaml_string(text, size, name, parse_policy, out, diags);
}

cmz_status cmz_policy_load_file(const char *path, cmz_policy **out, cmz_diags *diags) {
    if (out) *out = NULL;
    if (!path || !out) return CMZ_ERR_INVALID_ARG;
    return cmz__load_yaml_file(path, "a policy", parse_policy, out, diags);
}
