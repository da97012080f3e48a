/* The types the registry has seen: each resolved once to its policy entry and release rule,
 * found by name through a hash table (ids name their type, and an application may use many). */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* Open addressing, slot + 1 per cell (0: empty), at most half full. */
static size_t type_find(const cmz_registry *reg, const char *type) {
    if (!reg->type_cells) return SIZE_MAX;
    size_t mask = reg->type_ncells - 1;
    for (size_t c = cmz__hash_id(type) & mask; reg->type_cells[c]; c = (c + 1) & mask) {
        size_t slot = reg->type_cells[c] - 1;
        if (strcmp(reg->types[slot]->stats.type, type) == 0) return slot;
    }
    return SIZE_MAX;
}

static void cell_put(size_t *cells, size_t ncells, const char *type, size_t slot) {
    size_t mask = ncells - 1, c = cmz__hash_id(type) & mask;
    while (cells[c]) c = (c + 1) & mask;
    cells[c] = slot + 1;
}

/* Room in the hash for one more type (before it is created: nothing to undo on failure). */
static bool type_cells_reserve(cmz_registry *reg) {
    if (2 * (reg->ntypes + 1) <= reg->type_ncells) return true;
    size_t n = reg->type_ncells ? 2 * reg->type_ncells : 16;
    size_t *cells = cmz__calloc(n, sizeof *cells);
    if (!cells) return false;
    for (size_t i = 0; i < reg->ntypes; i++) cell_put(cells, n, reg->types[i]->stats.type, i);
    cmz__free(reg->type_cells);
    reg->type_cells = cells;
    reg->type_ncells = n;
    return true;
}

/* The slot of a type, created with its policy entry and rule on first use; SIZE_MAX when out
 * of memory. */
size_t cmz__type_slot(cmz_registry *reg, const char *type) {
    size_t found = type_find(reg, type);
    if (found != SIZE_MAX) return found;
    if (!type_cells_reserve(reg)) return SIZE_MAX;
    void *types = reg->types;
    if (cmz__reserve(&types, &reg->types_cap, sizeof *reg->types, reg->ntypes, reg->ntypes + 1) !=
        0)
        return SIZE_MAX;
    reg->types = types;
    cmz__type *t = cmz__calloc(1, sizeof *t);
    if (!t) return SIZE_MAX;
    snprintf(t->stats.type, sizeof t->stats.type, "%s", type);
    t->policy = *cmz_policy_resolve(reg->policy, reg->rules, type);
    const cmz_release_rule *rule = cmz_release_rules_get(reg->rules, type);
    if (rule) {
        t->has_rule = true;
        t->rule = *rule;
    }
    reg->types[reg->ntypes] = t;
    cell_put(reg->type_cells, reg->type_ncells, type, reg->ntypes);
    return reg->ntypes++;
}
