/* SPDX-License-Identifier: Apache-2.0 */
/* rkt: the application container runner. */
#include "cli.h"
#include "error.h"
#include "fd-util.h"

int main(int argc, char **argv)
{
        if (stdio_ensure_open() < 0) /* before anything opens a file */
                return 254;
        rk_error_use_go_errno_words(true); /* stage0's messages are Go's, as rkt's were */
        return cli_main(argc, argv);
}
