/// inotify-based inbox watching (issue 5): see InboxWatcher.
