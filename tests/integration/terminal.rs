//! The guide in a real terminal (tmux). (Being written.)
