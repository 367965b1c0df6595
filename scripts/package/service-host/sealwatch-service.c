// sealwatch-service.exe: the Windows service host of sealwatch. Node never talks to the Service Control Manager, so
// `sc start` on node.exe / the single executable would fail with error 1053 ("did not respond in a timely fashion").
// This host does the SCM protocol and runs the daemon as its child:
//   binPath= "C:\...\sealwatch-service.exe" -- "C:\...\sealwatch.exe" run --config "C:\...\sealwatch.yaml" --stop-on-stdin-eof
// Why our own: no maintained, signed wrapper exists on npm — node-windows bundles WinSW 1.17 (2017), unsigned and stale.
//
// - START_PENDING → RUNNING once the child runs; the child is created suspended, put in a Job object with
//   JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE (the daemon never outlives this host, even if the host crashes), then resumed.
// - STOP / SHUTDOWN: STOP_PENDING; the host closes the write end of the child's stdin pipe (the daemon's
//   --stop-on-stdin-eof runs the same graceful shutdown as SIGTERM), waits up to STOP_LIMIT_MS with checkpoints,
//   then terminates the job. A stop that was asked for ends with exit code 0 (the SCM restarts nothing).
// - The child exiting by itself: STOPPED with ERROR_SERVICE_SPECIFIC_ERROR and the child's exit code (or
//   ERROR_PROCESS_ABORTED when it exited 0), so the failure actions (`sc failure` + `sc failureflag 1`) restart it.
// The child's stdout and stderr go to NUL: the daemon writes its own log files (log.dir).
// Build: x86_64-w64-mingw32-gcc -municode -static -O2 -o sealwatch-service.exe sealwatch-service.c (service-host.ts).
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#define STOP_LIMIT_MS 30000 /* the daemon abandons a scan after 10 s and force-exits 3 s after stopping */
#define STEP_MS 1000

static SERVICE_STATUS_HANDLE status_handle;
static HANDLE stop_event;
static HANDLE job;
static HANDLE child;
static HANDLE stdin_write;
static wchar_t *child_cmdline;
static DWORD checkpoint;

static void report(DWORD state, DWORD win32_exit, DWORD specific_exit, DWORD wait_hint) {
  SERVICE_STATUS s = {0};
  s.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  s.dwCurrentState = state;
  s.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
  s.dwWin32ExitCode = win32_exit;
  s.dwServiceSpecificExitCode = specific_exit;
  s.dwWaitHint = wait_hint;
  s.dwCheckPoint = state == SERVICE_RUNNING || state == SERVICE_STOPPED ? 0 : ++checkpoint;
  SetServiceStatus(status_handle, &s);
}

static DWORD WINAPI control(DWORD code, DWORD type, void *data, void *context) {
  (void)type, (void)data, (void)context;
  switch (code) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
      report(SERVICE_STOP_PENDING, NO_ERROR, 0, 2 * STEP_MS);
      SetEvent(stop_event);
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

/** Appends one argument quoted so that CommandLineToArgvW (and the CRT) read it back unchanged. */
static void append_arg(wchar_t *out, const wchar_t *a) {
  if (*a && !wcspbrk(a, L" \t\n\v\"")) {
    wcscat(out, a);
    return;
  }
  wchar_t *p = out + wcslen(out);
  *p++ = L'"';
  for (;;) {
    size_t slashes = 0;
    while (*a == L'\\') a++, slashes++;
    if (!*a) {
      for (size_t i = 0; i < 2 * slashes; i++) *p++ = L'\\'; /* before the closing quote: doubled */
      break;
    }
    if (*a == L'"') {
      for (size_t i = 0; i < 2 * slashes + 1; i++) *p++ = L'\\';
    } else {
      for (size_t i = 0; i < slashes; i++) *p++ = L'\\';
    }
    *p++ = *a++;
  }
  *p++ = L'"';
  *p = 0;
}

/** The child's command line: this host's arguments after `--`, re-quoted. NULL when there are none. */
static wchar_t *command_after_dashes(int argc, wchar_t **argv) {
  int first = 1;
  while (first < argc && wcscmp(argv[first], L"--") != 0) first++;
  if (++first >= argc) return NULL;
  size_t size = 1;
  for (int i = first; i < argc; i++) size += 3 * wcslen(argv[i]) + 4; /* worst case: every char escaped, quotes, space */
  wchar_t *line = calloc(size, sizeof(wchar_t));
  if (!line) return NULL;
  for (int i = first; i < argc; i++) {
    if (i > first) wcscat(line, L" ");
    append_arg(line, argv[i]);
  }
  return line;
}

/** Starts the daemon suspended, inside the job, its stdin a pipe this host holds the write end of. */
static DWORD start_child(void) {
  SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
  HANDLE stdin_read;
  if (!CreatePipe(&stdin_read, &stdin_write, &inherit, 0)) return GetLastError();
  SetHandleInformation(stdin_write, HANDLE_FLAG_INHERIT, 0); /* only the child's end is inherited */
  HANDLE nul = CreateFileW(L"NUL", GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING, 0, NULL);
  job = CreateJobObjectW(NULL, NULL);
  if (!job) return GetLastError();
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {0};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits)) return GetLastError();
  STARTUPINFOW si = {0};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = stdin_read;
  si.hStdOutput = nul;
  si.hStdError = nul;
  PROCESS_INFORMATION pi;
  if (!CreateProcessW(NULL, child_cmdline, NULL, NULL, TRUE, CREATE_SUSPENDED | CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) return GetLastError();
  CloseHandle(stdin_read); /* the child's copy is the only read end: closing ours makes the host's close an EOF */
  if (nul != INVALID_HANDLE_VALUE) CloseHandle(nul);
  if (!AssignProcessToJobObject(job, pi.hProcess)) {
    DWORD err = GetLastError();
    TerminateProcess(pi.hProcess, 1);
    return err;
  }
  ResumeThread(pi.hThread);
  CloseHandle(pi.hThread);
  child = pi.hProcess;
  return NO_ERROR;
}

/** Asks the daemon to stop (EOF on its stdin), waits a bounded time, then ends the job. */
static void stop_child(void) {
  CloseHandle(stdin_write);
  stdin_write = NULL;
  for (DWORD waited = 0; waited < STOP_LIMIT_MS; waited += STEP_MS) {
    if (WaitForSingleObject(child, STEP_MS) == WAIT_OBJECT_0) return;
    report(SERVICE_STOP_PENDING, NO_ERROR, 0, 2 * STEP_MS);
  }
  TerminateJobObject(job, ERROR_TIMEOUT);
  WaitForSingleObject(child, 5000);
}

static void WINAPI service_main(DWORD argc, wchar_t **argv) {
  (void)argc;
  status_handle = RegisterServiceCtrlHandlerExW(argv[0], control, NULL);
  if (!status_handle) return;
  report(SERVICE_START_PENDING, NO_ERROR, 0, 10000);
  stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
  DWORD err = stop_event ? start_child() : GetLastError();
  if (err != NO_ERROR) {
    report(SERVICE_STOPPED, err, 0, 0);
    return;
  }
  report(SERVICE_RUNNING, NO_ERROR, 0, 0);
  HANDLE either[2] = {stop_event, child};
  DWORD which = WaitForMultipleObjects(2, either, FALSE, INFINITE);
  if (which == WAIT_OBJECT_0) stop_child();
  DWORD code = 0;
  GetExitCodeProcess(child, &code);
  CloseHandle(job); /* kills whatever the daemon left in the job */
  if (which == WAIT_OBJECT_0) report(SERVICE_STOPPED, NO_ERROR, 0, 0);
  else if (code != 0) report(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, code, 0);
  else report(SERVICE_STOPPED, ERROR_PROCESS_ABORTED, 0, 0);
}

int wmain(int argc, wchar_t **argv) {
  child_cmdline = command_after_dashes(argc, argv);
  if (!child_cmdline) {
    fwprintf(stderr, L"usage: sealwatch-service.exe -- <sealwatch.exe> run --config <file> --stop-on-stdin-eof\n");
    return 2;
  }
  SERVICE_TABLE_ENTRYW table[] = {{L"sealwatch", service_main}, {NULL, NULL}}; /* the name is ignored: own process */
  if (StartServiceCtrlDispatcherW(table)) return 0;
  DWORD err = GetLastError();
  if (err == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
    fwprintf(stderr, L"sealwatch-service.exe is started by the Service Control Manager (sealwatch service install; sc start sealwatch), not by hand\n");
  } else {
    fwprintf(stderr, L"sealwatch-service.exe: StartServiceCtrlDispatcherW failed: error %lu\n", err);
  }
  return 1;
}
