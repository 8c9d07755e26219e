/* The command table: dispatch, --help and completions all read it. */
#include "cmd.h"

const struct cmd *const cmd_table[] = {
        &cmd_pull,          &cmd_push,         &cmd_images,       &cmd_rmi,          &cmd_tag,
        &cmd_untag,         &cmd_inspect,      &cmd_image_inspect, &cmd_image_exists,
        &cmd_image_prune,   &cmd_save,         &cmd_load,         &cmd_import,
        &cmd_login,        &cmd_logout,       &cmd_info,         &cmd_version,      &cmd_completion,
        &cmd_unshare,
        &cmd_run,          &cmd_create,       &cmd_start,        &cmd_attach,
        &cmd_stop,         &cmd_kill,         &cmd_rm,           &cmd_wait,
        &cmd_ps,           &cmd_logs,         &cmd_container_inspect,
        &cmd_container_exists, &cmd_port,     &cmd_rename,       &cmd_container_prune,
        &cmd_container_cleanup,        &cmd_oci_run,
        NULL,
};

const char *const cmd_groups[] = { "image", "container", "system", NULL };
