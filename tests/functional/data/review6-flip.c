/* SPDX-License-Identifier: Apache-2.0 */
/* test_escapes_review6.py: flips dir/name between absent and a symlink to target, forever
 * (argv: dir name target). Prints FLIPPING once it runs. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        if (argc != 4 || chdir(argv[1]) < 0)
                return 1;
        (void)unlink(argv[2]);
        printf("FLIPPING\n");
        fflush(stdout);
        for (;;) {
                (void)symlink(argv[3], ".flip");
                (void)rename(".flip", argv[2]);
                (void)unlink(argv[2]);
        }
}
