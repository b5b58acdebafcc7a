/* One place that knows every data command family, so the server (and the
 * tests) register the whole keyspace API with a single call. */
#include "cmd/command.h"
#include "cmd/families.h"

/* Registration is idempotent: tests open many databases in one process. */
void cmd_register_data_commands(void)
{
    static bool done;
    if (done) return;
    done = true;
    t_string_register();
    t_keys_register();
    t_bitmap_register();
    t_object_register();
    t_list_register();
}
