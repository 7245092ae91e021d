"""`moto_server` with the EFS corrections of moto_efs_patches installed; takes moto_server's command line.

Run as `python -m tests.ansible_modules.patched_moto_server -H 127.0.0.1 -p PORT` from the repository root.
"""

from moto.server import main

from emulator.corrections import efs as moto_efs_patches

if __name__ == "__main__":
    moto_efs_patches.apply()
    main()
