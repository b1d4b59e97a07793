int bd_cmd_status(int argc, char **argv);
int bd_cmd_status(int argc, char **argv) { (void)argc; (void)argv; return 2; }
