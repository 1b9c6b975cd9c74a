"""Pull-request previews and the dev branch from the operator's side: `ops preview up|down|list|sweep`.

stackfile.py writes a pr-<N> stack's config from the committed Pulumi.preview.yaml; workspace.py runs the stack
under the engine and reads its state; lifecycle.py brings a preview up, takes it down from its state alone (the
program is never run, so a pull request whose code no longer builds still goes away), lists and sweeps them;
cost.py prices a branch from Supabase's published compute prices; comment.py writes the pull-request comment.
"""
