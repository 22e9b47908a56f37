// libsystemd (Debian's libsystemd-dev): the service manager protocol and the journal.
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <syslog.h>
