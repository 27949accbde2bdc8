/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fly flavor's gc entrypoint (`/gc [--debug] [--local-config DIR] <uuid>`). Runs in: the
 * host. Nothing to do: fly creates no cgroups or networks, and stage0 unmounts leftovers.
 */

int main(void)
{
        return 0;
}
