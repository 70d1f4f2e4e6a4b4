# Build Hearth's one-folder app and its installer on Windows.
#
#   py packaging\bootstrap.py          # .venv (llama-cpp-python with CUDA if nvcc is found, or
#                                      # set HEARTH_VULKAN=1 for Vulkan), then:
#   powershell -File packaging\windows\build.ps1   # -> dist\Hearth\, dist\Hearth-0.1.0-setup.exe
#
# Needs Inno Setup 6 (iscc.exe on PATH, or in its default folder).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")

& .venv\Scripts\pyinstaller.exe --noconfirm packaging\hearth.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }
& dist\Hearth\hearth-cli.exe doctor
if ($LASTEXITCODE -ne 0) { Write-Warning "hearth doctor found problems (models are installed on first start)" }

$iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $iscc packaging\windows\hearth.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
Get-Item dist\Hearth-*-setup.exe | ForEach-Object { "{0}: {1:N0} MB" -f $_.Name, ($_.Length / 1MB) }
