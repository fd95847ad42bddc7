namespace TinTin.Core
{
    /// <summary>The names of the <see cref="SelectionCriterion"/> values as the tools print and parse them.</summary>
    public static class SelectionCriterionNames
    {
        public static string Name(SelectionCriterion criterion)
        {
            switch (criterion)
            {
                case SelectionCriterion.Fisher: return "fisher";
                case SelectionCriterion.GradMag: return "gradmag";
                case SelectionCriterion.TopDown: return "topdown";
                case SelectionCriterion.Random: return "random";
                case SelectionCriterion.FirstLayer: return "first-layer";
                case SelectionCriterion.LastLayer: return "last-layer";
                default: return "unknown";
            }
        }

        /// <summary>The criterion for a name (as <see cref="Name"/> prints it); false when there is none.</summary>
        public static bool TryParse(string name, out SelectionCriterion criterion)
        {
            for (int c = (int)SelectionCriterion.Fisher; c <= (int)SelectionCriterion.LastLayer; c++)
            {
                if (Name((SelectionCriterion)c) != name) continue;
                criterion = (SelectionCriterion)c;
                return true;
            }
            criterion = SelectionCriterion.Fisher;
            return false;
        }
    }
}
