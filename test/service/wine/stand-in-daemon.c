// A stand-in for `sealwatch.exe run --config FILE --stop-on-stdin-eof` under the service host (the test runs it under
// wine 8.0, where Node 24's node.exe does not start): it records the argv it was given (FILE.argv, one per
// line), says it started (FILE.started), then — like the daemon — stops gracefully at EOF on stdin (FILE.graceful,
// exit 0). When FILE contains "crash" it instead exits 3 once FILE.crash-now appears, as a daemon that dies would.
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

static void write_file(const wchar_t *base, const wchar_t *suffix, const char *text) {
  wchar_t name[1024];
  swprintf(name, 1024, L"%ls%ls", base, suffix);
  FILE *f = _wfopen(name, L"wb");
  if (f) fputs(text, f), fclose(f);
}

static int exists(const wchar_t *base, const wchar_t *suffix) {
  wchar_t name[1024];
  swprintf(name, 1024, L"%ls%ls", base, suffix);
  return GetFileAttributesW(name) != INVALID_FILE_ATTRIBUTES;
}

int wmain(int argc, wchar_t **argv) {
  if (argc < 4) return 64;
  const wchar_t *config = argv[3];
  char args[8192] = "";
  for (int i = 1; i < argc; i++) {
    char utf8[2048];
    WideCharToMultiByte(CP_UTF8, 0, argv[i], -1, utf8, sizeof utf8, NULL, NULL);
    strncat(args, utf8, sizeof args - strlen(args) - 2);
    strcat(args, "\n");
  }
  write_file(config, L".argv", args);
  char body[64] = "";
  FILE *f = _wfopen(config, L"rb");
  if (f) fread(body, 1, sizeof body - 1, f), fclose(f);
  write_file(config, L".started", "");
  if (strstr(body, "crash")) {
    while (!exists(config, L".crash-now")) Sleep(50);
    return 3;
  }
  char buf[256];
  DWORD got;
  while (ReadFile(GetStdHandle(STD_INPUT_HANDLE), buf, sizeof buf, &got, NULL) && got > 0) {}
  write_file(config, L".graceful", "");
  return 0;
}
