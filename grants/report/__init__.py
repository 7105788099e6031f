"""What people read: explanations, summaries, the HTML report and the bokmål vocabulary."""
