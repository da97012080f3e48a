/* The reaper's candidates, kept in order as they change, so that choosing a victim costs
 * O(1) in the number of resources (as zswap's and memcached's LRUs do).
 *
 * Every unpinned resource is in two intrusive lists, least recently used first:
 *   - its type's list (release step and idle release: per type, because min_required and
 *     max_retain_time are per type);
 *   - the class list of its rank (the release priority of its type; types without a rule
 *     share the last rank): raw with a frame (step 1), raw without one (step 2), or none.
 * A use moves a resource to the tails; a change of its buffers moves it to the tail of its new
 * class list, which keeps the order because such a change only happens to a resource being
 * used, being pinned (not listed), or leaving (see cmz__lru_place). Pinned resources are in no
 * list. Busy and read resources, and those that failed in the reaper's pass, stay listed and
 * are stepped over: at most one per thread at work, plus the failures of the pass.
 *
 * Ranks are few (the release rules' distinct priorities, plus one), and so are the types with
 * a rule: the choices below visit each once, not each resource. */
#include "internal.h"

#include <stddef.h>

#define CONTAINER(link, field) \
    ((cmz__resource *)(void *)((char *)(link)-offsetof(cmz__resource, field)))

/* ---- lists ---- */

void cmz__list_init(cmz__list *l) {
    l->head.prev = l->head.next = &l->head;
    l->count = 0;
}

void cmz__list_push(cmz__list *l, cmz__link *k) {
    k->prev = l->head.prev;
    k->next = &l->head;
    l->head.prev->next = k;
    l->head.prev = k;
    l->count++;
}

void cmz__list_remove(cmz__list *l, cmz__link *k) {
    assert(l->count > 0);
    k->prev->next = k->next;
    k->next->prev = k->prev;
    k->prev = k->next = NULL;
    l->count--;
}

cmz__link *cmz__list_first(const cmz__list *l) {
    return l->head.next == &l->head ? NULL : l->head.next;
}

cmz__link *cmz__list_next(const cmz__list *l, const cmz__link *k) {
    return k->next == &l->head ? NULL : k->next;
}

/* ---- ranks ---- */

static unsigned priority_of(const cmz__type *t) {
    return t->has_rule ? t->rule.priority : CMZ_RELEASE_PRIORITY_MAX + 1;
}

/* The rank of `priority`, created in order when new; NULL when out of memory. */
static cmz__rank *rank_get(cmz_registry *reg, unsigned priority) {
    size_t at = 0;
    while (at < reg->nranks && reg->ranks[at]->priority < priority) at++;
    if (at < reg->nranks && reg->ranks[at]->priority == priority) return reg->ranks[at];
    void *ranks = reg->ranks;
    if (cmz__reserve(&ranks, &reg->ranks_cap, sizeof *reg->ranks, reg->nranks, reg->nranks + 1))
        return NULL;
    reg->ranks = ranks;
    cmz__rank *k = cmz__calloc(1, sizeof *k);
    if (!k) return NULL;
    k->priority = priority;
    for (int c = 0; c < CMZ__NCLASSES; c++) cmz__list_init(&k->classes[c]);
    for (size_t i = reg->nranks; i > at; i--) reg->ranks[i] = reg->ranks[i - 1];
    reg->ranks[at] = k;
    reg->nranks++;
    return k;
}

bool cmz__lru_type_ready(cmz_registry *reg, size_t slot) {
    cmz__type *t = reg->types[slot];
    if (t->rank) return true;
    cmz__rank *k = rank_get(reg, priority_of(t));
    if (!k) return false;
    if (t->has_rule) {
        void *types = k->rule_types;
        if (cmz__reserve(&types, &k->rule_types_cap, sizeof *k->rule_types, k->nrule_types,
                         k->nrule_types + 1))
            return false;
        k->rule_types = types;
        k->rule_types[k->nrule_types++] = slot;
    }
    cmz__list_init(&t->lru);
    t->rank = k;
    return true;
}

void cmz__lru_free(cmz_registry *reg) {
    for (size_t i = 0; i < reg->nranks; i++) {
        cmz__free(reg->ranks[i]->rule_types);
        cmz__free(reg->ranks[i]);
    }
    cmz__free(reg->ranks);
    reg->ranks = NULL;
    reg->nranks = reg->ranks_cap = 0;
}

/* ---- membership ---- */

static int class_of(const cmz__resource *r) {
    if (r->pins || !cmz__res_resident(r)) return CMZ__CLASS_NONE;
    if (r->frame) return CMZ__CLASS_DROP_RAW;
    return r->raw_size > 0 ? CMZ__CLASS_COMPRESS : CMZ__CLASS_NONE;
}

void cmz__lru_forget(cmz_registry *reg, cmz__resource *r) {
    cmz__type *t = reg->types[r->type_slot];
    if (r->cls != CMZ__CLASS_NONE) cmz__list_remove(&t->rank->classes[r->cls], &r->class_link);
    if (r->in_type) cmz__list_remove(&t->lru, &r->type_link);
    r->cls = CMZ__CLASS_NONE;
    r->in_type = false;
}

void cmz__lru_place(cmz_registry *reg, cmz__resource *r) {
    cmz__type *t = reg->types[r->type_slot];
    assert(t->rank);
    int cls = class_of(r);
    if (cls != r->cls) {
        if (r->cls != CMZ__CLASS_NONE) cmz__list_remove(&t->rank->classes[r->cls], &r->class_link);
        if (cls != CMZ__CLASS_NONE) cmz__list_push(&t->rank->classes[cls], &r->class_link);
        r->cls = cls;
    }
    bool in_type = r->pins == 0;
    if (in_type && !r->in_type) cmz__list_push(&t->lru, &r->type_link);
    else if (!in_type && r->in_type) cmz__list_remove(&t->lru, &r->type_link);
    r->in_type = in_type;
}

void cmz__lru_touch(cmz_registry *reg, cmz__resource *r) {
    r->use_seq = ++reg->use_seq;
    cmz__lru_forget(reg, r);
    cmz__lru_place(reg, r);
}

/* ---- choices ---- */

static bool can_take(const cmz__resource *r, uint64_t pass) {
    assert(r->pins == 0);
    return !r->busy && !r->readers && r->skip_pass != pass;
}

/* The first resource of l the reaper may take in this pass. */
static cmz__resource *first_takeable(const cmz__list *l, size_t offset, uint64_t pass) {
    for (cmz__link *k = cmz__list_first(l); k; k = cmz__list_next(l, k)) {
        cmz__resource *r = (cmz__resource *)(void *)((char *)k - offset);
        if (can_take(r, pass)) return r;
    }
    return NULL;
}

cmz__resource *cmz__lru_victim(cmz_registry *reg, int cls, uint64_t pass) {
    assert(cls >= 0 && cls < CMZ__NCLASSES);
    for (size_t i = 0; i < reg->nranks; i++) {
        cmz__resource *r =
            first_takeable(&reg->ranks[i]->classes[cls], offsetof(cmz__resource, class_link), pass);
        if (r) return r;
    }
    return NULL;
}

/* May the reaper release one more of type t? (min_required of the type are kept) */
static bool releasable(const cmz__type *t) {
    return t->has_rule && t->stats.resources > t->rule.min_required;
}

cmz__resource *cmz__lru_release_victim(cmz_registry *reg, uint64_t pass) {
    for (size_t i = 0; i < reg->nranks; i++) {
        const cmz__rank *k = reg->ranks[i];
        cmz__resource *best = NULL;
        for (size_t j = 0; j < k->nrule_types; j++) {
            const cmz__type *t = reg->types[k->rule_types[j]];
            if (!releasable(t)) continue;
            cmz__resource *r = first_takeable(&t->lru, offsetof(cmz__resource, type_link), pass);
            if (r && (!best || r->use_seq < best->use_seq)) best = r;
        }
        if (best) return best;
    }
    return NULL;
}

cmz__resource *cmz__lru_idle_victim(cmz_registry *reg, uint64_t now, uint64_t pass) {
    for (size_t i = 0; i < reg->nranks; i++) {
        const cmz__rank *k = reg->ranks[i];
        for (size_t j = 0; j < k->nrule_types; j++) {
            const cmz__type *t = reg->types[k->rule_types[j]];
            if (!releasable(t)) continue;
            uint64_t retain = (uint64_t)t->rule.max_retain_time * 1000000000u;
            /* LRU first: the first one not expired ends the type */
            for (cmz__link *l = cmz__list_first(&t->lru); l; l = cmz__list_next(&t->lru, l)) {
                cmz__resource *r = CONTAINER(l, type_link);
                if (r->last_use_ns > now || now - r->last_use_ns < retain) break;
                if (can_take(r, pass)) return r;
            }
        }
    }
    return NULL;
}

/* ---- the invariants, for tests ---- */

/* One list: its resources unpinned, of rank `rank` and class cls (class lists) or of type
 * `slot` (type lists), in LRU order, counted right. */
static const char *check_list(const cmz_registry *reg, const cmz__list *l, size_t offset,
                              const cmz__rank *rank, int cls, size_t slot, size_t *seen) {
    uint64_t seq = 0;
    size_t n = 0;
    for (cmz__link *k = cmz__list_first(l); k; k = cmz__list_next(l, k), n++) {
        const cmz__resource *r = (const cmz__resource *)(const void *)((char *)k - offset);
        if (r->pins) return "a pinned resource is listed";
        if (rank ? reg->types[r->type_slot]->rank != rank : r->type_slot != slot)
            return "a resource is in another rank's or type's list";
        if (rank && r->cls != cls) return "a resource is in another class's list";
        if (r->use_seq < seq) return "a list is out of LRU order";
        seq = r->use_seq;
    }
    *seen += n;
    return n == l->count ? NULL : "a list's count is wrong";
}

const char *cmz__lru_check(cmz_registry *reg) {
    assert(cmz__mutex_held(&reg->mu));
    size_t in_classes = 0, in_types = 0;
    for (size_t i = 0; i < reg->count; i++) {
        const cmz__resource *r = reg->all[i];
        if (r->cls != class_of(r)) return "a resource is in the wrong class list";
        if (r->in_type != (r->pins == 0)) return "a resource is in or out of its type's list";
        in_classes += r->cls != CMZ__CLASS_NONE;
        in_types += r->in_type;
    }
    size_t seen_classes = 0, seen_types = 0;
    for (size_t i = 0; i < reg->nranks; i++)
        for (int c = 0; c < CMZ__NCLASSES; c++) {
            const char *why =
                check_list(reg, &reg->ranks[i]->classes[c], offsetof(cmz__resource, class_link),
                           reg->ranks[i], c, SIZE_MAX, &seen_classes);
            if (why) return why;
        }
    for (size_t i = 0; i < reg->ntypes; i++) {
        if (!reg->types[i]->rank) continue;
        const char *why = check_list(reg, &reg->types[i]->lru, offsetof(cmz__resource, type_link),
                                     NULL, -1, i, &seen_types);
        if (why) return why;
    }
    if (seen_classes != in_classes || seen_types != in_types)
        return "the lists do not hold every resource that should be listed";
    return NULL;
}
