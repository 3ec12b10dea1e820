import sys

from tools.residency_report.cli import main

sys.exit(main())
