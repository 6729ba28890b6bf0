import sys

from radar.cli import main

sys.exit(main())
