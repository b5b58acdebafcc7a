/* The command families of src/cmd/: each t_*.c file registers its table.
 * cmd_register_data_commands() (registry.c) calls them all. */
#ifndef REDRAFT_CMD_FAMILIES_H
#define REDRAFT_CMD_FAMILIES_H

void t_string_register(void);
void t_keys_register(void);
void t_bitmap_register(void);
void t_object_register(void);
void t_list_register(void);

#endif
