/* SPDX-License-Identifier: Apache-2.0 */
/* rkt: the application container runner. */
#include "cli.h"

int main(int argc, char **argv)
{
        return cli_main(argc, argv);
}
