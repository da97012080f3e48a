/* `cmz hw`: the hardware backends, whether each is present, and why not. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cmz/hw.h"
#include "commands.h"

static void hw_usage(FILE *to) {
    fputs("usage: cmz hw\n"
          "Lists the backends (cpu, cuda, qat): present or absent, the device, its memory and\n"
          "compute units, and what it offers or why it is absent. `cmz --hw NAME` selects one;\n"
          "CMZ_BACKEND=NAME in the environment overrides the choice; an absent backend falls\n"
          "back to the CPU and says why.\n"
          "Exit status: 0 ok, 1 stdout not written, 2 usage (also a bad CMZ_BACKEND).\n",
          to);
}

int cmz_cmd_hw(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            hw_usage(stdout);
            return 0;
        }
        fprintf(stderr, "cmz hw: unexpected argument '%s'\ncmz: try 'cmz hw --help'\n", argv[i]);
        return 2;
    }
    int rc = cli_check_backend_env(); /* the choice shown below follows CMZ_BACKEND */
    if (rc >= 0) return rc;
    cmz_hw_info hw[CMZ_BACKEND_COUNT];
    size_t n = cmz_hw_list(hw, CMZ_BACKEND_COUNT);
    printf("%-7s %-8s %-34s %10s %6s  %s\n", "backend", "state", "device", "memory", "units",
           "detail");
    for (size_t i = 0; i < n; i++) {
        char mem[32] = "-", units[16] = "-";
        if (hw[i].memory) snprintf(mem, sizeof mem, "%.1f GiB", (double)hw[i].memory / (1u << 30));
        if (hw[i].units) snprintf(units, sizeof units, "%u", hw[i].units);
        printf("%-7s %-8s %-34.34s %10s %6s  %s\n", cmz_backend_name(hw[i].backend),
               hw[i].present ? "present" : "absent", hw[i].name, mem, units, hw[i].detail);
    }
    cmz_hw_choice auto_choice = cmz_hw_best(CMZ_BACKEND_AUTO, -1, 0, 0, CMZ_DATA_HOST);
    printf("chosen: %s (%s)\n", cmz_backend_name(auto_choice.backend), auto_choice.reason);
    return 0; /* main checks that stdout was written */
}
