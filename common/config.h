/*  config.h — one table of settings per program: INI files (parsed by inih,
    Debian package libinih) plus "--set section.name=value" overrides.

    A program declares its settings once:

        static const cchc_config_entry_t s_table[] = {
          { "collector.bind", CCHC_CONFIG_STRING, offsetof (conf_t, bind), 256,
            0, 0, "tcp://127.0.0.1:7070", "ROUTER endpoint agents connect to" },
          { "collector.batch_max", CCHC_CONFIG_INT, offsetof (conf_t, batch_max), 0,
            1, 10000, "256", "messages per group commit" },
          { .name = NULL }   //  (plain { NULL } trips clang -Wmissing-field-initializers)
        };

    and cchc_config_defaults / _load / _set / _print do the rest: parsing,
    bounds, the error message with file and line, the printed effective
    configuration.  Unknown keys, duplicate keys in one file, values out of
    bounds, and syntax errors are refused.  Strings are stored into fixed char
    arrays (size = the entry's `size`; too long is an error).
    Types: INT (int64_t), BOOL (bool: true/false/yes/no/on/off/1/0),
    STRING (char[size]), DURATION (int64_t ms; "500ms", "30s", "5m", "2h", "1d"
    or a plain number of ms).
*/
#ifndef CCHC_CONFIG_H
#define CCHC_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

typedef enum {
    CCHC_CONFIG_INT = 1,
    CCHC_CONFIG_BOOL,
    CCHC_CONFIG_STRING,
    CCHC_CONFIG_DURATION,
    CCHC_CONFIG_SECRET /* a STRING that cchc_config_print masks */
} cchc_config_type_t;

typedef struct {
    const char *name; /* "section.key"; NULL ends the table */
    cchc_config_type_t type;
    size_t offset;             /* offsetof the field in the program's struct */
    size_t size;               /* STRING, SECRET: size of the char array */
    int64_t min, max;          /* INT and DURATION bounds (inclusive) */
    const char *default_value; /* as text, parsed like a file value */
    const char *help;          /* one line */
} cchc_config_entry_t;

/*  Fill `conf` with every default.  Returns 0, or -1 if a default is invalid
    (a programming error, reported in err). */
int cchc_config_defaults (const cchc_config_entry_t *table, void *conf, char *err,
                          size_t errlen);

/*  Apply an INI file over `conf`.  Returns 0 or -1 with "path:line: reason";
    a file with any error changes nothing.  A line longer than inih's buffer
    (199 bytes with Debian's build) is refused, and so is an indented line
    after a key, which inih would take as more of that key's value. */
int cchc_config_load (const cchc_config_entry_t *table, void *conf, const char *path,
                      char *err, size_t errlen);

/*  Same as cchc_config_load, over text[0..len) (need not be NUL-terminated);
    `name` stands for the file name in messages ("name:line: reason").
    On failure `conf` is left unchanged. */
int cchc_config_load_string (const cchc_config_entry_t *table, void *conf, const char *name,
                             const char *text, size_t len, char *err, size_t errlen);

/*  Apply one "section.key=value" override.  Returns 0 or -1. */
int cchc_config_set (const cchc_config_entry_t *table, void *conf, const char *assignment,
                     char *err, size_t errlen);

/*  Print the effective configuration as an INI file (with help as comments).
    A SECRET value that is set is printed as "***", never itself. */
void cchc_config_print (const cchc_config_entry_t *table, const void *conf, FILE *out);

#endif
