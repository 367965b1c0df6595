// Functions that DLLs export by well-known ordinals, so that an import by ordinal ("ws2_32.dll #4") is judged as the
// function it is ("connect"). Ordinals from the export tables Wine reproduces in its .spec files
// (wine-mirror/wine dlls/ws2_32/ws2_32.spec — "obtained from Windows 2000 ws2_32.dll" —, dlls/wsock32/wsock32.spec,
// dlls/oleaut32/oleaut32.spec); these low ordinals have stayed fixed in every Windows since. Note that wsock32 and
// ws2_32 differ at 10–12.

const BSD_SOCKETS: Readonly<Record<number, string>> = {
  1: 'accept', 2: 'bind', 3: 'closesocket', 4: 'connect', 5: 'getpeername', 6: 'getsockname', 7: 'getsockopt', 8: 'htonl',
  9: 'htons', 13: 'listen', 14: 'ntohl', 15: 'ntohs', 16: 'recv', 17: 'recvfrom', 18: 'select', 19: 'send', 20: 'sendto',
  21: 'setsockopt', 22: 'shutdown', 23: 'socket', 51: 'gethostbyaddr', 52: 'gethostbyname', 53: 'getprotobyname',
  54: 'getprotobynumber', 55: 'getservbyname', 56: 'getservbyport', 57: 'gethostname', 101: 'WSAAsyncSelect',
  111: 'WSAGetLastError', 112: 'WSASetLastError', 115: 'WSAStartup', 116: 'WSACleanup', 151: '__WSAFDIsSet',
};

const BY_DLL: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  'ws2_32.dll': { ...BSD_SOCKETS, 10: 'ioctlsocket', 11: 'inet_addr', 12: 'inet_ntoa' },
  'wsock32.dll': { ...BSD_SOCKETS, 10: 'inet_addr', 11: 'inet_ntoa', 12: 'ioctlsocket' },
  'oleaut32.dll': {
    2: 'SysAllocString', 3: 'SysReAllocString', 4: 'SysAllocStringLen', 5: 'SysReAllocStringLen', 6: 'SysFreeString',
    7: 'SysStringLen', 8: 'VariantInit', 9: 'VariantClear', 10: 'VariantCopy', 11: 'VariantCopyInd', 12: 'VariantChangeType',
  },
};

/** `#123` imported from `dll` → the exported name when the ordinal is well known, else the import as it was. */
export function resolveOrdinal(dll: string, fn: string): string {
  if (!fn.startsWith('#')) return fn;
  const name = BY_DLL[dll.toLowerCase()]?.[Number(fn.slice(1))];
  return name ?? fn;
}
