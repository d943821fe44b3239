import sys

from mfa.cli import main

sys.exit(main())
