// host.id: the machine id each OS keeps, read from what its own tool prints (outputs as those tools print them).
import { readFileSync } from 'node:fs';
import test from 'ava';
import { ioregUuid, localHost, regMachineGuid } from '../../daemon/export/host.ts';

test('macOS ioreg and Windows reg query outputs give the machine id; anything else gives none', (t) => {
  const ioreg = '+-o J316sAP  <class IOPlatformExpertDevice, id 0x100000216, registered, matched, active, busy 0 (24 ms), retain 37>\n  {\n    "IOPlatformSerialNumber" = "C02XXXXXXX"\n    "IOPlatformUUID" = "9A1C5E0B-3F4D-5E6F-8A9B-0C1D2E3F4A5B"\n  }\n';
  t.is(ioregUuid(ioreg), '9a1c5e0b-3f4d-5e6f-8a9b-0c1d2e3f4a5b');
  const reg = '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\r\n    MachineGuid    REG_SZ    4c4c4544-0042-3510-8052-b4c04f4e3532\r\n\r\n';
  t.is(regMachineGuid(reg), '4c4c4544-0042-3510-8052-b4c04f4e3532');
  t.is(ioregUuid(''), undefined);
  t.is(regMachineGuid('ERROR: The system was unable to find the specified registry key or value.'), undefined);
});

test('here (Linux): /etc/machine-id (then D-Bus’s copy) when it holds one, else the database id', (t) => {
  let expected = 'db-id';
  for (const f of ['/var/lib/dbus/machine-id', '/etc/machine-id']) {
    try {
      const id = readFileSync(f, 'utf8').trim();
      if (/^[0-9a-f]{32}$/.test(id)) expected = id;
    } catch {
      // none in this container
    }
  }
  const h = localHost('db-id');
  t.is(h.id, expected);
  t.is(h.os.type, 'linux');
  t.truthy(h.hostname);
});

test('Windows tools run by their System32 path, never looked up from the current directory', async (t) => {
  const { system32 } = await import('../../daemon/shared/system-tool.ts');
  t.is(system32('reg.exe', { SystemRoot: 'D:\\WINNT' }), 'D:\\WINNT\\System32\\reg.exe');
  t.is(system32('icacls.exe', {}), 'C:\\Windows\\System32\\icacls.exe');
});
