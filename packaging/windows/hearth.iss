; Inno Setup script: installs the PyInstaller folder dist\Hearth for the current user.
; Build: iscc packaging\windows\hearth.iss   (after `pyinstaller packaging\hearth.spec`)
#define AppVersion "0.1.0"

[Setup]
AppId={{7C1F0F5E-5A0B-4C7E-9C55-3E0D1C6A8B21}
AppName=Hearth
AppVersion={#AppVersion}
AppPublisher=Hearth
DefaultDirName={localappdata}\Programs\Hearth
DefaultGroupName=Hearth
PrivilegesRequired=lowest
OutputBaseFilename=Hearth-{#AppVersion}-setup
OutputDir=..\..\dist
SetupIconFile=..\..\assets\icon.ico
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Files]
Source: "..\..\dist\Hearth\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Hearth"; Filename: "{app}\Hearth.exe"
Name: "{userdesktop}\Hearth"; Filename: "{app}\Hearth.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop icon"; Flags: unchecked

[Run]
Filename: "{app}\Hearth.exe"; Description: "Start Hearth"; Flags: nowait postinstall skipifsilent
