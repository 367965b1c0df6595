# Intune Win32 app detection rule: installed when the service exists and runs the expected executable.
# Intune treats exit code 0 with output on stdout as "detected".
$svc = Get-CimInstance -ClassName Win32_Service -Filter "Name='sealwatch'" -ErrorAction SilentlyContinue
if ($svc -and $svc.PathName -like "*\sealwatch\sealwatch.exe*" -and $svc.StartName -eq 'LocalSystem') {
  Write-Output "sealwatch service present ($($svc.State))"
  exit 0
}
exit 1
