/* The dfuimg commands, one function each (argv[0] is the command name). */
#ifndef DFUIMG_COMMANDS_H
#define DFUIMG_COMMANDS_H

int cmd_sign(int argc, char **argv);     /* sign.c */
int cmd_verify(int argc, char **argv);   /* inspect.c */
int cmd_dumpinfo(int argc, char **argv); /* inspect.c */

#endif
