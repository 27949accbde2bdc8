/* SPDX-License-Identifier: Apache-2.0 */
/* errno names (see errno-name.h). libc only; runs in any process. */
#include "errno-name.h"

#include <errno.h>
#include <string.h>

#include "macro.h"

#define E(x)          \
        {             \
#x, x \
        }

static const struct {
        const char *name;
        int value;
} errno_names[] = {
        E(E2BIG),           E(EACCES),       E(EADDRINUSE),   E(EADDRNOTAVAIL),   E(EADV),
        E(EAFNOSUPPORT),    E(EAGAIN),       E(EALREADY),     E(EBADE),           E(EBADF),
        E(EBADFD),          E(EBADMSG),      E(EBADR),        E(EBADRQC),         E(EBADSLT),
        E(EBFONT),          E(EBUSY),        E(ECANCELED),    E(ECHILD),          E(ECHRNG),
        E(ECOMM),           E(ECONNABORTED), E(ECONNREFUSED), E(ECONNRESET),      E(EDEADLK),
        E(EDEADLOCK),       E(EDESTADDRREQ), E(EDOM),         E(EDOTDOT),         E(EDQUOT),
        E(EEXIST),          E(EFAULT),       E(EFBIG),        E(EHOSTDOWN),       E(EHOSTUNREACH),
        E(EHWPOISON),       E(EIDRM),        E(EILSEQ),       E(EINPROGRESS),     E(EINTR),
        E(EINVAL),          E(EIO),          E(EISCONN),      E(EISDIR),          E(EISNAM),
        E(EKEYEXPIRED),     E(EKEYREJECTED), E(EKEYREVOKED),  E(EL2HLT),          E(EL2NSYNC),
        E(EL3HLT),          E(EL3RST),       E(ELIBACC),      E(ELIBBAD),         E(ELIBEXEC),
        E(ELIBMAX),         E(ELIBSCN),      E(ELNRNG),       E(ELOOP),           E(EMEDIUMTYPE),
        E(EMFILE),          E(EMLINK),       E(EMSGSIZE),     E(EMULTIHOP),       E(ENAMETOOLONG),
        E(ENAVAIL),         E(ENETDOWN),     E(ENETRESET),    E(ENETUNREACH),     E(ENFILE),
        E(ENOANO),          E(ENOBUFS),      E(ENOCSI),       E(ENODATA),         E(ENODEV),
        E(ENOENT),          E(ENOEXEC),      E(ENOKEY),       E(ENOLCK),          E(ENOLINK),
        E(ENOMEDIUM),       E(ENOMEM),       E(ENOMSG),       E(ENONET),          E(ENOPKG),
        E(ENOPROTOOPT),     E(ENOSPC),       E(ENOSR),        E(ENOSTR),          E(ENOSYS),
        E(ENOTBLK),         E(ENOTCONN),     E(ENOTDIR),      E(ENOTEMPTY),       E(ENOTNAM),
        E(ENOTRECOVERABLE), E(ENOTSOCK),     E(ENOTSUP),      E(ENOTTY),          E(ENOTUNIQ),
        E(ENXIO),           E(EOPNOTSUPP),   E(EOVERFLOW),    E(EOWNERDEAD),      E(EPERM),
        E(EPFNOSUPPORT),    E(EPIPE),        E(EPROTO),       E(EPROTONOSUPPORT), E(EPROTOTYPE),
        E(ERANGE),          E(EREMCHG),      E(EREMOTE),      E(EREMOTEIO),       E(ERESTART),
        E(ERFKILL),         E(EROFS),        E(ESHUTDOWN),    E(ESOCKTNOSUPPORT), E(ESPIPE),
        E(ESRCH),           E(ESRMNT),       E(ESTALE),       E(ESTRPIPE),        E(ETIME),
        E(ETIMEDOUT),       E(ETOOMANYREFS), E(ETXTBSY),      E(EUCLEAN),         E(EUNATCH),
        E(EUSERS),          E(EWOULDBLOCK),  E(EXDEV),        E(EXFULL),
};

int errno_from_name(const char *name)
{
        for (size_t i = 0; name && i < ELEMENTSOF(errno_names); i++)
                if (strcmp(errno_names[i].name, name) == 0)
                        return errno_names[i].value;
        return -EINVAL;
}
