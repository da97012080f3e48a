/* Finding the policy: --config, $CMZ_CONFIG, the project's configs/, the user's config
 * folder, then the built-in defaults. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *cmz_policy_source_name(cmz_policy_source source) {
    switch (source) {
    case CMZ_POLICY_SOURCE_ARGUMENT: return "--config";
    case CMZ_POLICY_SOURCE_ENV: return "CMZ_CONFIG";
    case CMZ_POLICY_SOURCE_PROJECT: return "project";
    case CMZ_POLICY_SOURCE_USER: return "user";
    case CMZ_POLICY_SOURCE_BUILTIN: return "built-in";
    }
    return "unknown";
}

static bool is_file(const char *path) {
    struct stat st;
    return path[0] && stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* $XDG_CONFIG_HOME/cmz/..., else $HOME/.config/cmz/... (the XDG base directory rule: a
 * relative XDG_CONFIG_HOME is ignored); "" when neither is usable. */
static bool user_path(char *buf, size_t cap) {
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/') n = snprintf(buf, cap, "%s/" CMZ_POLICY_USER_PATH, xdg);
    else if (home && home[0]) n = snprintf(buf, cap, "%s/.config/" CMZ_POLICY_USER_PATH, home);
    else n = snprintf(buf, cap, "%s", "");
    return n >= 0 && (size_t)n < cap;
}

static cmz_status choose(cmz_policy_location *loc, cmz_policy_source source, const char *path) {
    int n = snprintf(loc->path, sizeof loc->path, "%s", path);
    if (n < 0 || (size_t)n >= sizeof loc->path) return CMZ_ERR_INVALID_ARG;
    loc->source = source;
    loc->exists = is_file(loc->path);
    return CMZ_OK;
}

cmz_status cmz_policy_locate(const char *config_path, cmz_policy_location *loc) {
    if (!loc) return CMZ_ERR_INVALID_ARG;
    memset(loc, 0, sizeof *loc);
    if (config_path) return choose(loc, CMZ_POLICY_SOURCE_ARGUMENT, config_path);
    const char *env = getenv("CMZ_CONFIG");
    if (env && env[0]) return choose(loc, CMZ_POLICY_SOURCE_ENV, env);
    if (is_file(CMZ_POLICY_PROJECT_PATH))
        return choose(loc, CMZ_POLICY_SOURCE_PROJECT, CMZ_POLICY_PROJECT_PATH);
    char user[CMZ_POLICY_PATH_MAX];
    if (!user_path(user, sizeof user)) return CMZ_ERR_INVALID_ARG;
    if (is_file(user)) return choose(loc, CMZ_POLICY_SOURCE_USER, user);
    cmz_status st = choose(loc, CMZ_POLICY_SOURCE_BUILTIN, user);
    loc->exists = false;
    return st;
}

cmz_status cmz_policy_open(const char *config_path, bool missing_is_default, cmz_policy **out,
                           cmz_policy_location *loc, cmz_diags *diags) {
    if (out) *out = NULL;
    cmz_policy_location local;
    if (!loc) loc = &local;
    if (!out) return CMZ_ERR_INVALID_ARG;
    cmz_status st = cmz_policy_locate(config_path, loc);
    if (st != CMZ_OK) {
        cmz__diag_sink r;
        cmz__diag_sink_init(&r, diags, "");
        cmz__diag_error(&r, 0, 0, "the policy file's path is longer than %d bytes",
                        CMZ_POLICY_PATH_MAX - 1);
        return st;
    }
    if (loc->source == CMZ_POLICY_SOURCE_BUILTIN || (!loc->exists && missing_is_default)) {
        *out = cmz_policy_new_default();
        return *out ? CMZ_OK : CMZ_ERR_NOMEM;
    }
    return cmz_policy_load_file(loc->path, out, diags);
}
