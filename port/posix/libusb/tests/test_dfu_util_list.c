/* The real dfu-util (Debian's /usr/bin/dfu-util 0.11, unmodified) through
 * build/bin/vboard-dfu-util and the libusb shim, against a USB/IP server
 * running the test device: `dfu-util -l` must list both alternate
 * settings with the names and serial read over the wire. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port/posix/usbip/tests/rig.h"
#include "tests/support/check.h"
#include "tests/support/run.h"

int main(void)
{
    const char *build = getenv("DFUBOOT_BUILD_DIR");
    static char out[16384], cmd[1024];
    struct rig rig;
    int st;

    if (access("/usr/bin/dfu-util", X_OK) != 0) {
        printf("dfu-util not installed: skipped\n");
        return 77;
    }
    REQUIRE(build != NULL);
    if (rig_start(&rig, -1) != 0)
        return 1;
    snprintf(cmd, sizeof(cmd), "DFUBOOT_USBIP=127.0.0.1:%d DFU_UTIL=/usr/bin/dfu-util %s/bin/vboard-dfu-util -l 2>&1",
             rig.port, build);
    st = run_command(cmd, out, sizeof(out));
    printf("%s", out);
    CHECK_EQ(st, 0);
    const char *l1 = "Found DFU: [2fe3:ffff] ver=0206, devnum=2, cfg=1, intf=0, path=\"1-1\", alt=1, "
                     "name=\"image_1\", serial=\"0123456789AB\"\n";
    const char *l0 = "Found DFU: [2fe3:ffff] ver=0206, devnum=2, cfg=1, intf=0, path=\"1-1\", alt=0, "
                     "name=\"image_0\", serial=\"0123456789AB\"\n";
    char *p1 = strstr(out, l1), *p0 = strstr(out, l0);
    CHECK(p1 != NULL);
    CHECK(p0 != NULL);
    CHECK(p1 && p0 && p1 < p0); /* dfu-util lists alternate settings in reverse */
    CHECK(strstr(out, "dfu-util 0.11") != NULL);

    /* the wrapper without dfu-util: a clear message */
    snprintf(cmd, sizeof(cmd), "DFU_UTIL=/nonexistent/dfu-util %s/bin/vboard-dfu-util -l 2>&1", build);
    st = run_command(cmd, out, sizeof(out));
    CHECK(WEXITSTATUS(st) == 127);
    CHECK(strstr(out, "dfu-util is not installed") != NULL);

    /* no server: dfu-util finds nothing, and stderr has exactly one line
     * from the library naming the address it tried */
    rig_stop(&rig);
    snprintf(cmd, sizeof(cmd), "DFUBOOT_USBIP=127.0.0.1:1 %s/bin/vboard-dfu-util -l 2>&1 >/dev/null", build);
    st = run_command(cmd, out, sizeof(out));
    printf("stderr of -l without a server:\n%s", out);
    CHECK(strstr(out, "Found DFU") == NULL);
    CHECK(strstr(out, "no USB/IP server at 127.0.0.1:1 (Connection refused)") != NULL);
    CHECK(strchr(out, '\n') != NULL && strchr(out, '\n')[1] == '\0'); /* one line */
    CHECK_DONE();
}
