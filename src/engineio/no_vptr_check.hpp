#pragma once
// For the functions that make virtual calls while the process may be out of file descriptors
// (the observer's, a heartbeat owner's, a session listener's). UBSan's vptr check, the first
// time it meets a dynamic type, tests that the vtable is readable by writing it into a pipe; when
// the process is out of file descriptors (which the server is built to survive, and is tested
// in) the pipe cannot be made and UBSan reports a false "invalid vptr" and aborts the sanitizer
// build.
#define ENGINEIO_NO_VPTR_CHECK __attribute__((no_sanitize("vptr")))
