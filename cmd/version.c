/* den version: the client's version, as podman prints it. */
#include <sys/utsname.h>
#include "cmd.h"

json_t *cmd_version_json(void);

json_t *cmd_version_json(void)
{
        _cleanup_free_ char *osarch = xasprintf("linux/%s", img_host_arch());

        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "APIVersion", DEN_VERSION,
                         "Version", DEN_VERSION, "GoVersion", "", "GitCommit", "", "BuiltTime", "",
                         "Built", 0, "OsArch", osarch, "Os", "linux");
}

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        json_auto_t *client = cmd_version_json();
        json_auto_t *root = json_pack("{s:O}", "Client", client);
        const char *format = cmd_str(a, "format");

        if (format && *format)
                return cmd_output_one(stdout, root, format, err) < 0 ? -1 : 0;
        printf("Version:      %s\nAPI Version:  %s\nOS/Arch:      %s\n", DEN_VERSION, DEN_VERSION,
               json_string_value(json_object_get(client, "OsArch")));
        return 0;
}

static const struct cmd_opt opts[] = {
        { "format", 'f', CMD_OPT_STRING, "string",
          "Change the output format to JSON or a Go template" },
        { 0 },
};

const struct cmd cmd_version = {
        .name = "version",
        .usage = "[options]",
        .summary = "Display the den version information",
        .opts = opts,
        .max_args = 0,
        .run = run,
};
