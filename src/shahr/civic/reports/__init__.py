"""Problem reports: residents file them in a category at a point, staff move them through a public
workflow with deadlines, and the city's record of handling them on time is published."""
