/* Replays a fuzz target's corpus (tests/fuzz/corpus/<target>/ *) as a regression test, in
 * builds without libFuzzer. Prints TAP: one line per input. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
        FILE *f = fopen(path, "rbe");
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0, n;
        uint8_t chunk[65536];

        if (!f)
                return -1;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                if (len + n > cap) {
                        cap = (len + n) * 2;
                        buf = realloc(buf, cap);
                        if (!buf)
                                abort();
                }
                memcpy(buf + len, chunk, n);
                len += n;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf ? buf : (const uint8_t *) "", len);
        free(buf);
        return 0;
}

int main(int argc, char **argv)
{
        int n = 0, failed = 0;

        for (int i = 1; i < argc; i++) {
                DIR *d = opendir(argv[i]);
                struct dirent *de;

                if (!d) {
                        printf("not ok %d - open %s\n", ++n, argv[i]);
                        failed++;
                        continue;
                }
                while ((de = readdir(d))) {
                        char path[4096];

                        if (de->d_name[0] == '.')
                                continue;
                        snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
                        if (replay_file(path) < 0) {
                                printf("not ok %d - %s\n", ++n, de->d_name);
                                failed++;
                        } else {
                                printf("ok %d - %s\n", ++n, de->d_name);
                        }
                }
                closedir(d);
        }
        printf("1..%d\n", n);
        return failed ? 1 : 0;
}
