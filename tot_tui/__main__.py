from tot_tui.cli import main

raise SystemExit(main())
