/* Codec names by id for every codec cmz knows, compiled into this build or not: data that
 * travels between builds (a policy file) may name one whose library this build lacks. */
#ifndef CMZ_CODEC_KNOWN_H
#define CMZ_CODEC_KNOWN_H

/* The id of a known codec name or alias (case-insensitive, as cmz_codec_by_name), whether
 * or not it is compiled in; -1 for a name cmz does not know (or NULL). */
int cmz__codec_known_id(const char *name);

/* The name of a known codec id, whether or not it is compiled in; NULL for any other id. */
const char *cmz__codec_known_name(int id);

#endif
