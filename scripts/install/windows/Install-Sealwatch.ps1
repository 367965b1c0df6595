<#
.SYNOPSIS
  Installs sealwatch as a Windows service: an Intune Win32 app install command, or a GPO computer startup script.
.DESCRIPTION
  Copies the single executable into Program Files, makes its config directory writable only by SYSTEM and
  Administrators (sealwatch refuses a config that other users could change), and registers the service with
  `sealwatch service install` (sc.exe: LocalSystem, delayed automatic start, restart on failure). Settings managed by
  Intune/GPO arrive under HKLM\SOFTWARE\Policies\sealwatch. Exit code 0 on success (Intune reads it).
.EXAMPLE
  powershell.exe -ExecutionPolicy Bypass -File Install-Sealwatch.ps1
  powershell.exe -ExecutionPolicy Bypass -File Install-Sealwatch.ps1 -Uninstall
#>
[CmdletBinding()]
param(
  [string]$Source = (Join-Path $PSScriptRoot 'sealwatch-win-x64.exe'),
  # The service host the SCM starts (Node cannot answer the SCM); `npm run package` builds it beside the executable.
  [string]$HostSource = (Join-Path $PSScriptRoot 'sealwatch-service.exe'),
  [string]$InstallDir = (Join-Path $env:ProgramFiles 'sealwatch'),
  [string]$ConfigFile = (Join-Path $env:ProgramData 'sealwatch\sealwatch.yaml'),
  [string]$ConfigSource = (Join-Path $PSScriptRoot 'sealwatch.yaml'),
  [switch]$Uninstall
)
$ErrorActionPreference = 'Stop'
$Exe = Join-Path $InstallDir 'sealwatch.exe'
$ServiceHost = Join-Path $InstallDir 'sealwatch-service.exe'

function Invoke-Sealwatch([string[]]$Arguments) {
  & $Exe @Arguments
  if ($LASTEXITCODE -ne 0) { throw "sealwatch $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

if ($Uninstall) {
  if (Test-Path $Exe) {
    Invoke-Sealwatch @('service', 'uninstall')
    Remove-Item -Force $Exe
  }
  if (Test-Path $ServiceHost) { Remove-Item -Force $ServiceHost }
  Write-Output 'sealwatch: removed (the history database and logs in ProgramData are kept)'
  exit 0
}

# An upgrade replaces the program: stop the running service first (a running .exe cannot be overwritten).
if (Get-Service -Name 'sealwatch' -ErrorAction SilentlyContinue) {
  Stop-Service -Name 'sealwatch' -Force
  & sc.exe delete sealwatch | Out-Null
}
New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
Copy-Item -Force $Source $Exe
Copy-Item -Force $HostSource $ServiceHost

# The config directory: SYSTEM and Administrators only, inheritance off (the well-known SIDs, any language).
$ConfigDir = Split-Path -Parent $ConfigFile
New-Item -ItemType Directory -Force -Path $ConfigDir | Out-Null
& icacls.exe $ConfigDir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
if ($LASTEXITCODE -ne 0) { throw "icacls on $ConfigDir failed with exit code $LASTEXITCODE" }
if ((Test-Path $ConfigSource) -and -not (Test-Path $ConfigFile)) { Copy-Item $ConfigSource $ConfigFile }

Invoke-Sealwatch @('service', 'install', '--config', $ConfigFile)
Invoke-Sealwatch @('service', 'status')
Write-Output "sealwatch: installed $Exe as service 'sealwatch'"
exit 0
